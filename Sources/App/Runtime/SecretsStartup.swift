import Foundation
import Logging
import Tenancy

/// What a node checks before it serves: every stored secret opens with its master keys (else it
/// refuses to start, naming the key id it lacks), and none is left in the clear by an older
/// version (those are sealed now; running this again changes nothing).
enum SecretsStartup {
    static func prepare(keys: MasterKeys, endpoint: DatabaseEndpoint, logger: Logger) async throws -> SecretBox {
        let box = SecretBox(keys: keys)
        // A short-lived pool: the serving pool runs only once the service group does.
        let database = try Database(endpoint: endpoint, maximumConnections: 2, applicationName: "kefu-startup", logger: logger)
        let report = try await database.whileRunning { database in
            try await StoredSecrets(database: database, columns: SecretRegistry.columns).prepareForServing(with: box)
        }
        if report.sealedPlaintext > 0 {
            logger.notice("sealed secrets an older version stored in the clear", metadata: [
                "count": "\(report.sealedPlaintext)", "master_key": "\(keys.current.id)",
            ])
        }
        return box
    }
}
