import Foundation
import Testing
@testable import Auth

@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher()

    @Test func hashesWithArgon2idAtTheRecommendedCostAndVerifies() async throws {
        let encoded = try await hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("correct horse battery staple", against: encoded))
        #expect(try await !hasher.verify("correct horse battery stapler", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test func saltsEveryHash() async throws {
        let first = try await hasher.hash("same password here")
        let second = try await hasher.hash("same password here")
        #expect(first != second)
    }

    @Test func weakerParametersAskForARehash() async throws {
        let weak = PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let encoded = try await weak.hash("an old password")
        #expect(hasher.needsRehash(encoded))
        #expect(try await hasher.verify("an old password", against: encoded))
        #expect(hasher.needsRehash("$2b$10$bcrypt-style"))
    }

    @Test func aMalformedHashIsAMismatchNotACrash() async throws {
        #expect(try await !hasher.verify("anything at all", against: "not a hash"))
        #expect(try await !hasher.verify("anything at all", against: ""))
    }
}

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test func acceptsALongUncommonPassword() throws {
        try policy.check("violet-harbour-42", email: "ann@example.com")
    }

    @Test(arguments: [
        ("short1", PasswordPolicy.Violation.tooShort),
        ("ann@example.com", .sameAsEmail),
        ("ANN@EXAMPLE.COM", .sameAsEmail),
        ("annexample", .common),
        ("password123", .common),
        ("Qwerty12345", .common),
        ("woaini1314", .common),
        (String(repeating: "x", count: 300), .tooLong),
    ])
    func refuses(password: String, violation: PasswordPolicy.Violation) {
        let email = password == "annexample" ? "annexample@example.com" : "ann@example.com"
        let expected = password == "annexample" ? PasswordPolicy.Violation.sameAsEmail : violation
        #expect(throws: expected) { try policy.check(password, email: email) }
    }
}

@Suite struct OpaqueTokenTests {
    @Test(arguments: OpaqueToken.Kind.allCases)
    func carriesItsKindTenantAnd256RandomBits(kind: OpaqueToken.Kind) {
        let tenant = UUID()
        let token = OpaqueToken(kind, tenantID: tenant)
        #expect(token.value.hasPrefix(kind.rawValue))
        let parsed = OpaqueToken(parsing: token.value)
        #expect(parsed?.kind == kind)
        #expect(parsed?.tenantID == tenant)
        #expect(parsed?.hash == token.hash)
        #expect(OpaqueToken(kind, tenantID: tenant).value != token.value)
    }

    @Test(arguments: ["", "kfs_", "kft_", "kfs_!!!!", "Bearer x", "kfx_" + String(repeating: "A", count: 64), "kfs_" + String(repeating: "A", count: 200)])
    func refusesWhatIsNotAToken(text: String) {
        #expect(OpaqueToken(parsing: text) == nil)
    }
}
