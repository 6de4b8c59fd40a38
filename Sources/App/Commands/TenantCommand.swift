import ArgumentParser
import Foundation
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

        func run() async throws {
            try TenantError.validate(slug: slug, name: name)
            let environment = try CommandEnvironment.load(logLevelOverride: .warning)
            let (slug, name) = (slug, name)
            let tenant = try await environment.withDatabase(migrate: true) { database, _ in
                try await TenantDirectory(database: database).create(slug: slug, name: name)
            }
            print("created tenant \(tenant.slug) (\(tenant.name)) id \(tenant.id.uuidString.lowercased())")
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
