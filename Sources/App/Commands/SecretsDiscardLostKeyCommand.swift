import ArgumentParser
import Foundation
import Tenancy

extension SecretsCommand {
    /// `kefu secrets discard-lost-key ID --yes`: the way back when a master key is lost for good.
    struct DiscardLostKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard-lost-key",
            abstract: "Give up the stored secrets sealed with a lost master key, so nodes start again.",
            discussion: """
                TOTP seeds sealed with it are removed: those users keep two-factor authentication, sign in with a \
                recovery code, turn it off and enrol again. Pending enrolments are dropped. Each widget gets a new \
                identity secret nobody knows: rotate it (PATCH /api/v1/widgets/{id} with "rotateIdentitySecret": true) \
                and give the sites that sign user ids the new one. This cannot be undone.
                """)

        @Argument(help: "The lost key's id (8 hex digits), as the refusal to start names it.")
        var keyID: String

        @Flag(name: .long, help: "Confirm that the secrets sealed with this key are to be given up.")
        var yes = false

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let keyID = keyID.lowercased()
            guard keyID.count == 8, keyID.allSatisfy(\.isHexDigit) else {
                throw CommandFailure(message: "\"\(keyID.prefix(20))\" is not a key id (8 hex digits)")
            }
            let keys = try MasterKeySource(environment.configuration).load()
            guard keys.key(id: keyID) == nil else {
                throw CommandFailure(message: "this node has master key \(keyID): nothing sealed with it is lost")
            }
            guard yes else {
                throw CommandFailure(message: "the secrets sealed with \(keyID) cannot be recovered afterwards: run again with --yes to give them up")
            }
            let discarded = try await environment.withDatabase(migrate: true) { database, _ in
                try await StoredSecrets(database: database, columns: SecretRegistry.columns).discard(keyID: keyID, with: SecretBox(keys: keys))
            }
            let lines = SecretRegistry.columns.map { column in
                let verb = switch column.whenLost {
                case .remove: "removed"
                case .replaceWithRandomHex: "replaced with a new random value"
                }
                return "\(column): \(discarded[column] ?? 0) \(verb)"
            }
            print((lines + ["master key \(keyID) no longer seals any stored secret"]).joined(separator: "\n"))
        }
    }
}
