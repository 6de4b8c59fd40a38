import CArgon2
import NIOPosix
import Synchronization

/// Argon2id password hashing through libargon2, always on a dedicated thread pool, never on an
/// event loop or the concurrency pool: one hash costs tens of milliseconds of CPU and 19 MiB.
///
/// Hashes are stored in the standard encoded form (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`),
/// so parameters can rise later: `needsRehash` tells the login to re-hash with the new ones.
public final class PasswordHasher: Sendable {
    /// Argon2id cost parameters.
    public struct Parameters: Sendable, Equatable {
        public var memoryKiB: UInt32
        public var iterations: UInt32
        public var parallelism: UInt32

        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }

        /// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
        public static let recommended = Parameters(memoryKiB: 19 * 1024, iterations: 2, parallelism: 1)
    }

    public enum HashingError: Error, Equatable {
        case libargon2(code: Int32)
    }

    public let parameters: Parameters
    private let threadPool: NIOThreadPool
    private let dummy = Mutex<String?>(nil)

    static let saltLength = 16
    static let hashLength = 32

    public init(parameters: Parameters = .recommended, threadPool: NIOThreadPool = .singleton) {
        self.parameters = parameters
        self.threadPool = threadPool
    }

    /// Hashes `password` with a fresh random salt.
    public func hash(_ password: String) async throws -> String {
        let parameters = parameters
        return try await threadPool.runIfActive {
            try Self.hashBlocking(password, parameters: parameters)
        }
    }

    /// Whether `password` matches `encoded`. A malformed `encoded` is a mismatch, never a crash.
    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        try await threadPool.runIfActive {
            let result = encoded.withCString { encodedPointer in
                password.withCString { passwordPointer in
                    argon2id_verify(encodedPointer, passwordPointer, strlen(passwordPointer))
                }
            }
            return result == ARGON2_OK.rawValue
        }
    }

    /// Spends the same work as a real verification and returns false: used for unknown accounts
    /// so that their answer takes as long as a wrong password's.
    public func verifyAgainstDummy(_ password: String) async throws {
        let encoded: String
        if let cached = dummy.withLock({ $0 }) {
            encoded = cached
        } else {
            encoded = try await hash("kefu-dummy-password")
            dummy.withLock { $0 = encoded }
        }
        _ = try await verify(password, against: encoded)
    }

    /// Whether `encoded` was made with weaker parameters than this hasher's (or is not Argon2id).
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = Self.parameters(of: encoded) else { return true }
        return stored.memoryKiB < parameters.memoryKiB || stored.iterations < parameters.iterations
            || stored.parallelism < parameters.parallelism
    }

    /// The parameters in an encoded hash: `$argon2id$v=19$m=19456,t=2,p=1$...`.
    static func parameters(of encoded: String) -> Parameters? {
        let fields = encoded.split(separator: "$")
        guard fields.count >= 4, fields[0] == "argon2id" else { return nil }
        var values: [Substring: UInt32] = [:]
        for pair in fields[2].split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = UInt32(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    private static func hashBlocking(_ password: String, parameters: Parameters) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let length = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(saltLength), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let result = password.withCString { passwordPointer in
            argon2id_hash_encoded(
                parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                passwordPointer, strlen(passwordPointer), salt, saltLength, hashLength,
                &encoded, length)
        }
        guard result == ARGON2_OK.rawValue else { throw HashingError.libargon2(code: result) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
