import Admin
import Hummingbird
import Realtime
import Tenancy

/// `/healthz` (the process answers) and `/readyz` (the database answers, its schema is the one
/// this build expects, and no message-writer shard with work has gone `stallAfter` without a
/// commit). Load balancers route only to ready nodes.
struct HealthController: Sendable {
    struct Status: ResponseEncodable {
        let status: String
        let migrations: Int?
    }

    let database: Database
    let migrator: Migrator
    let writer: MessageWriter
    let readinessTimeout: Duration

    func addRoutes(to router: Router<KefuRequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok", migrations: nil) }
        router.get("readyz", use: ready)
    }

    @Sendable func ready(request: Request, context: KefuRequestContext) async throws -> Status {
        let stalled = writer.shardReports().enumerated().filter(\.element.stalled).map { String($0.offset) }
        guard stalled.isEmpty else {
            throw APIError.unavailable("message writer shard \(stalled.joined(separator: ", ")) has work and has committed nothing for \(writer.limits.stallAfter)")
        }
        let status: MigrationStatus
        do {
            status = try await withTimeout(readinessTimeout) {
                try await database.migrationStatus(of: migrator)
            }
        } catch is TimeoutError {
            throw APIError.unavailable("the database did not answer within \(readinessTimeout)")
        } catch let error as DatabaseError {
            throw APIError.unavailable(error.description)
        } catch {
            throw APIError.unavailable("the database is unreachable: \(DatabaseError.describe(error))")
        }
        guard status.isCurrent else {
            throw APIError.unavailable("\(status.pending.count) migration(s) pending, first \(status.pending[0].label); run `kefu migrate`")
        }
        return Status(status: "ready", migrations: status.applied.count)
    }
}

struct TimeoutError: Error {}

/// Runs `operation`, giving up with `TimeoutError` after `timeout`.
func withTimeout<Result: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
