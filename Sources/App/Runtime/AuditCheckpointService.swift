import Auth
import Logging
import ServiceLifecycle
import Tenancy

/// Signs every tenant's audit head at a fixed interval (tenants whose head has not moved are
/// skipped by the database), so a rewritten chain is caught by `audit verify`.
struct AuditCheckpointService: Service {
    let database: Database
    let signer: AuditSigner
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let (interval, service) = (interval, self)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                await service.checkpointAll()
            }
        }
    }

    func checkpointAll() async {
        do {
            for tenant in try await TenantDirectory(database: database).list() {
                try await signer.checkpoint(tenantID: tenant.id, database: database)
            }
        } catch {
            logger.error("audit checkpoint failed", metadata: ["error": "\(DatabaseError.describe(error))"])
        }
    }
}
