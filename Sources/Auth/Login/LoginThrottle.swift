import Foundation
import Synchronization

/// Slows password guessing: too many failed logins for one account, or from one IP address,
/// within a window lock further attempts until the oldest failure leaves the window.
/// Unknown accounts count like known ones, so the lock reveals nothing. State is per node and
/// bounded in size.
public final class LoginThrottle: Sendable {
    public struct Limits: Sendable {
        public var failuresPerAccount: Int
        public var failuresPerIP: Int
        public var window: TimeInterval

        public init(failuresPerAccount: Int = 5, failuresPerIP: Int = 20, window: TimeInterval = 15 * 60) {
            self.failuresPerAccount = failuresPerAccount
            self.failuresPerIP = failuresPerIP
            self.window = window
        }
    }

    /// Thrown instead of checking the password while an account or address is locked.
    public struct Throttled: Error, Equatable {
        public let retryAfterSeconds: Int
    }

    public let limits: Limits
    private let failures = Mutex<[String: [Date]]>([:])
    private let maximumKeys: Int

    public init(limits: Limits = Limits(), maximumKeys: Int = 100_000) {
        self.limits = limits
        self.maximumKeys = maximumKeys
    }

    static func accountKey(tenant: String, email: String) -> String { "a:\(tenant.lowercased()):\(email.lowercased())" }
    static func ipKey(_ ip: String) -> String { "i:\(ip)" }
    /// A signed-in user confirming their password (changing it, turning off two-factor): counted
    /// apart from logins by email, together with the address.
    static func userKey(_ userID: UUID) -> (tenant: String, email: String) { ("u", userID.uuidString.lowercased()) }

    /// `check` for a signed-in user's password confirmation.
    public func check(userID: UUID, ip: String, now: Date = Date()) throws {
        let key = Self.userKey(userID)
        try check(tenant: key.tenant, email: key.email, ip: ip, now: now)
    }

    /// Runs `confirm` (which checks the user's password) unless they are throttled, and counts a
    /// wrong password (an error for which `isWrongPassword` holds) like a failed login.
    public func confirmingPassword<Result>(userID: UUID, ip: String, isWrongPassword: (any Error) -> Bool,
                                           _ confirm: () async throws -> Result) async throws -> Result {
        try check(userID: userID, ip: ip)
        let key = Self.userKey(userID)
        do {
            let result = try await confirm()
            recordSuccess(tenant: key.tenant, email: key.email)
            return result
        } catch {
            if isWrongPassword(error) { recordFailure(tenant: key.tenant, email: key.email, ip: ip) }
            throw error
        }
    }

    /// Throws `Throttled` when the account or the address has too many recent failures.
    public func check(tenant: String, email: String, ip: String, now: Date = Date()) throws {
        let waits = failures.withLock { failures in
            [(Self.accountKey(tenant: tenant, email: email), limits.failuresPerAccount), (Self.ipKey(ip), limits.failuresPerIP)]
                .compactMap { key, limit -> TimeInterval? in
                    let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < limits.window }
                    guard recent.count >= limit, let oldest = recent.min() else { return nil }
                    return limits.window - now.timeIntervalSince(oldest)
                }
        }
        if let wait = waits.max() {
            throw Throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }

    public func recordFailure(tenant: String, email: String, ip: String, now: Date = Date()) {
        failures.withLock { failures in
            if failures.count >= maximumKeys {
                failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < limits.window } }
                if failures.count >= maximumKeys { failures.removeAll(keepingCapacity: true) }
            }
            for key in [Self.accountKey(tenant: tenant, email: email), Self.ipKey(ip)] {
                var recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < limits.window }
                recent.append(now)
                failures[key] = Array(recent.suffix(max(limits.failuresPerAccount, limits.failuresPerIP)))
            }
        }
    }

    /// A successful login clears the account's failures (not the address's).
    public func recordSuccess(tenant: String, email: String) {
        _ = failures.withLock { $0.removeValue(forKey: Self.accountKey(tenant: tenant, email: email)) }
    }
}
