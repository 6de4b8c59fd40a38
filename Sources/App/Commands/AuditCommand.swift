import ArgumentParser
import Auth
import Foundation
import Tenancy

/// `kefu audit verify [--tenant]`, `kefu audit checkpoint`, `kefu audit public-key`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and sign the tamper-evident audit log.",
        subcommands: [Verify.self, Checkpoint.self, PublicKey.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify every tenant's hash chain and signed checkpoints; exit 1 on the first bad entry.")

        @Option(help: "Only this tenant (slug).")
        var tenant: String?

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let signer = try AuditSigner.loadOrCreate(in: environment.configuration.dataDirectory)
            let trusted = [signer.publicKey] + environment.configuration.auditTrustedKeys
            let slug = tenant
            let reports: [(Tenant, AuditVerifier.Report)] = try await environment.withDatabase(migrate: true) { database, _ in
                let directory = TenantDirectory(database: database)
                let tenants: [Tenant]
                if let slug {
                    guard let found = try await directory.find(slug: slug) else { throw TenantError.notFound(slug) }
                    tenants = [found]
                } else {
                    tenants = try await directory.list()
                }
                let verifier = AuditVerifier(database: database, trustedKeys: trusted)
                var reports: [(Tenant, AuditVerifier.Report)] = []
                for tenant in tenants { reports.append((tenant, try await verifier.verify(tenantID: tenant.id))) }
                return reports
            }
            var failed = false
            for (tenant, report) in reports {
                if report.ok {
                    print("\(tenant.slug): ok, \(report.entries) entries, \(report.checkpointsVerified) signed checkpoints verified")
                } else {
                    failed = true
                    print("\(tenant.slug): FAILED at seq \(report.firstBadSeq ?? 0): \(report.reason ?? "")")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign every tenant's current audit head now.")

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let signer = try AuditSigner.loadOrCreate(in: environment.configuration.dataDirectory)
            let signed = try await environment.withDatabase(migrate: true) { database, _ in
                var lines: [String] = []
                for tenant in try await TenantDirectory(database: database).list() {
                    if let seq = try await signer.checkpoint(tenantID: tenant.id, database: database) {
                        lines.append("\(tenant.slug): signed seq \(seq)")
                    } else {
                        lines.append("\(tenant.slug): already signed")
                    }
                }
                return lines
            }
            print(signed.joined(separator: "\n"))
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "public-key", abstract: "Print this server's audit-signing public key (base64 Ed25519).")

        func run() async throws {
            let configuration = try Configuration()
            print(try AuditSigner.loadOrCreate(in: configuration.dataDirectory).publicKeyBase64)
        }
    }
}
