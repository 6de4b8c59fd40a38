import ArgumentParser
import Crypto
import Foundation
import Tenancy

/// `kefu secrets rotate-key [--new-key BASE64]`, `kefu secrets status` and
/// `kefu secrets discard-lost-key ID --yes`: the master keys that seal TOTP seeds, widget
/// identity secrets and other secrets at rest.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Rotate and inspect the master keys that seal secrets at rest.",
        subcommands: [RotateKey.self, Status.self, DiscardLostKey.self])

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Make a new master key current and re-seal every stored secret with it.",
            discussion: """
                With the key file (KEFU_MASTER_KEY unset) the new key (given, or generated) is written as the first \
                line of master.key, older keys kept for reading, before anything is sealed with it. With \
                KEFU_MASTER_KEY set, kefu cannot change the environment: --new-key is required (make one with \
                openssl rand -base64 32 and keep it safe), and the command prints the KEFU_MASTER_KEY value to give \
                every node. Nodes keep the keys they started with: restart them afterwards.
                """)

        @Option(name: .customLong("new-key"), help: "The new key, base64 of 32 bytes (default: a new random key; required with KEFU_MASTER_KEY).")
        var newKey: String?

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let source = MasterKeySource(environment.configuration)
            let key: SymmetricKey
            if let newKey {
                key = try MasterKeys.key(base64: newKey, source: "--new-key")
            } else if case .environment = source {
                throw CommandFailure(message: "KEFU_MASTER_KEY is set, so kefu cannot keep a generated key for you: "
                    + "make one (openssl rand -base64 32), store it safely, and pass it as --new-key")
            } else {
                key = MasterKeys.generateKey()
            }
            let keys: MasterKeys
            switch source {
            case .environment(let current): keys = try current.making(current: key)
            // No file yet: the new key is the only one, rather than a second new one behind it.
            case .file(let file): keys = try file.load()?.making(current: key) ?? MasterKeys([key], source: "--new-key")
            }
            let dataDirectory = environment.configuration.dataDirectory.path
            let report = try await environment.withDatabase(migrate: true) { database, bootstrap in
                if bootstrap.localCluster != nil, !bootstrap.ownsLocalCluster {
                    throw CommandFailure(message: "kefu serve is running on \(dataDirectory) with the old keys in memory: stop it, rotate, then start it again")
                }
                // The key is stored before anything is sealed with it: a pass cut short can be run again.
                if case .file(let file) = source { try file.save(keys) }
                return try await StoredSecrets(database: database, columns: SecretRegistry.columns).resealAll(with: SecretBox(keys: keys))
            }
            var lines = ["master key \(keys.current.id) is now current: re-sealed \(report.resealed) stored secrets"
                + (report.sealedPlaintext > 0 ? ", sealed \(report.sealedPlaintext) found in the clear" : "")]
            switch source {
            case .environment:
                lines.append("set on every node, then restart them: KEFU_MASTER_KEY=\(keys.environmentValue)")
            case .file(let file):
                lines.append("saved as the first line of \(file.url.path) (older keys kept for reading); restart kefu serve to seal with it")
            }
            print(lines.joined(separator: "\n"))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show this node's master keys and which keys the stored secrets were sealed with.")

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let source = MasterKeySource(environment.configuration)
            // Only looks: no key file is created here.
            let keys: MasterKeys? = switch source {
            case .environment(let keys): keys
            case .file(let file): try file.load()
            }
            let uses = try await environment.withDatabase(migrate: true) { database, _ in
                try await StoredSecrets(database: database, columns: SecretRegistry.columns).keyUses()
            }
            var lines = ["master keys from \(source.description): " + (keys?.all.enumerated()
                .map { $0.offset == 0 ? "\($0.element.id) (current)" : $0.element.id }.joined(separator: ", ") ?? "none yet (kefu serve creates the file)")]
            for use in uses {
                let note = keys?.key(id: use.keyID) == nil ? "  MISSING: this node cannot open these" : ""
                lines.append("\(use.keyID)  \(use.column)  \(use.count)\(note)")
            }
            if uses.isEmpty { lines.append("no stored secrets yet") }
            print(lines.joined(separator: "\n"))
        }
    }
}
