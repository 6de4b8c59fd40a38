import ArgumentParser
import Foundation
import Auth
import Tenancy

/// `kefu tenant create|list`.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create and list tenants.",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")

        @Option(help: "URL-safe identifier: 2-63 lowercase letters, digits and hyphens.")
        var slug: String

        @Option(help: "Display name.")
        var name: String

        @Option(help: "Email of the tenant's first owner.")
        var ownerEmail: String

        @Option(help: "The owner's password (at least 10 characters); generated and printed once when omitted.")
        var ownerPassword: String?

        func run() async throws {
            try TenantError.validate(slug: slug, name: name)
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let (slug, name, email, password) = (slug, name, ownerEmail, ownerPassword)
            let created = try await environment.withDatabase(migrate: true) { database, _ in
                try await AccountDirectory(database: database, hasher: PasswordHasher())
                    .createTenant(slug: slug, name: name, ownerEmail: email, ownerPassword: password)
            }
            print("created tenant \(created.tenant.slug) (\(created.tenant.name)) id \(created.tenant.id.uuidString.lowercased())")
            print("owner \(created.owner.email)")
            if let generated = created.generatedPassword {
                print("owner password (shown only now): \(generated)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")

        func run() async throws {
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let tenants = try await environment.withDatabase(migrate: true) { database, _ in
                try await TenantDirectory(database: database).list()
            }
            let formatter = ISO8601DateFormatter()
            print("SLUG\tNAME\tSTATUS\tCREATED\tID")
            for tenant in tenants {
                print("\(tenant.slug)\t\(tenant.name)\t\(tenant.status)\t\(formatter.string(from: tenant.createdAt))\t\(tenant.id.uuidString.lowercased())")
            }
        }
    }
}
