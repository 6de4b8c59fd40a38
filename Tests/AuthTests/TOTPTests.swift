import Foundation
import Testing
@testable import Auth

@Suite struct TOTPTests {
    /// RFC 6238 appendix B, SHA-1 rows (the last six of the eight digits).
    @Test(arguments: [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func matchesTheRFCTestVectors(seconds: Int, code: String) {
        let totp = TOTP(secret: Data("12345678901234567890".utf8))
        #expect(totp.code(forStep: TOTP.step(at: Date(timeIntervalSince1970: TimeInterval(seconds)))) == code)
    }

    @Test func acceptsTheWindowAroundNowAndNeverAStepAlreadyUsed() {
        let totp = TOTP.generate()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let step = TOTP.step(at: now)
        #expect(totp.acceptedStep(for: totp.code(forStep: step), at: now, after: nil) == step)
        #expect(totp.acceptedStep(for: totp.code(forStep: step - 1), at: now, after: nil) == step - 1)
        #expect(totp.acceptedStep(for: totp.code(forStep: step + 1), at: now, after: nil) == step + 1)
        #expect(totp.acceptedStep(for: totp.code(forStep: step - 2), at: now, after: nil) == nil)
        #expect(totp.acceptedStep(for: totp.code(forStep: step), at: now, after: step) == nil)
        #expect(totp.acceptedStep(for: totp.code(forStep: step - 1), at: now, after: step - 1) == nil)
        #expect(totp.acceptedStep(for: "12345", at: now, after: nil) == nil)
        #expect(totp.acceptedStep(for: "abcdef", at: now, after: nil) == nil)
    }

    @Test func base32FollowsRFC4648() {
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI"]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Data(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Data(plain.utf8))
        }
        #expect(Base32.decode("not base32!") == nil)
        let secret = TOTP.generate().secret
        #expect(Base32.decode(Base32.encode(secret)) == secret)
    }

    @Test func recoveryCodesAreDistinctAndForgiveCaseAndDashes() {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10 && Set(codes).count == 10)
        #expect(codes.allSatisfy { $0.count == 11 && RecoveryCodes.looksLikeOne($0) })
        #expect(RecoveryCodes.hash(codes[0]) == RecoveryCodes.hash(codes[0].uppercased().replacingOccurrences(of: "-", with: " ")))
        #expect(!RecoveryCodes.looksLikeOne("123456"))
    }
}
