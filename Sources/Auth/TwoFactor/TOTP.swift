import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps,
/// six digits — what every authenticator app speaks.
public struct TOTP: Sendable, Equatable {
    public static let period: Int64 = 30
    public static let digits = 6
    /// Steps either side of now that still count, for clocks a little off.
    public static let window: Int64 = 1

    public let secret: Data

    public init(secret: Data) {
        self.secret = secret
    }

    /// A new 160-bit secret, the size RFC 4226 recommends.
    public static func generate() -> TOTP {
        var generator = SystemRandomNumberGenerator()
        return TOTP(secret: Data((0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    /// The time step `date` falls in.
    public static func step(at date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down)) / period
    }

    /// The code for one time step.
    public func code(forStep step: Int64) -> String {
        let counter = withUnsafeBytes(of: UInt64(step).bigEndian) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: SymmetricKey(data: secret)))
        // Dynamic truncation (RFC 4226 §5.3).
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let value = binary % 1_000_000
        let text = String(value)
        return String(repeating: "0", count: Self.digits - text.count) + text
    }

    /// The step whose code `code` is, within the window around `date`, and later than
    /// `after` (the last step already used): a code is accepted once, never replayed.
    public func acceptedStep(for code: String, at date: Date, after lastUsed: Int64?) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == Self.digits, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        let now = Self.step(at: date)
        for step in (now - Self.window)...(now + Self.window) where step > (lastUsed ?? .min) {
            if constantTimeEqual(self.code(forStep: step), digits) { return step }
        }
        return nil
    }

    /// The secret as authenticator apps take it.
    public var base32Secret: String { Base32.encode(secret) }

    /// The `otpauth://` URI an authenticator app scans from a QR code.
    public func provisioningURI(issuer: String, account: String) -> String {
        var components = URLComponents()
        components.scheme = "otpauth"
        components.host = "totp"
        components.path = "/" + issuer + ":" + account
        components.queryItems = [
            URLQueryItem(name: "secret", value: base32Secret),
            URLQueryItem(name: "issuer", value: issuer),
            URLQueryItem(name: "algorithm", value: "SHA1"),
            URLQueryItem(name: "digits", value: String(Self.digits)),
            URLQueryItem(name: "period", value: String(Self.period)),
        ]
        return components.string ?? ""
    }

    private func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8), b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// RFC 4648 base32 without padding, the encoding of TOTP secrets.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func encode(_ data: Data) -> String {
        var output = ""
        var buffer = 0, bits = 0
        for byte in data {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }

    public static func decode(_ text: String) -> Data? {
        var output = Data()
        var buffer = 0, bits = 0
        for character in text.uppercased() where character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return output
    }
}
