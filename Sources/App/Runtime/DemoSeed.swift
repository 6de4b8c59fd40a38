import Auth
import Foundation
import Logging
import Realtime
import Synchronization

/// The demo tenant of a fresh installation (`KEFU_SEED_DEMO`), in two steps: the tenant before
/// the server starts (a failure stops startup), and, once the server is bound and its port is
/// known (`KEFU_PORT=0` picks one), a widget allowed on the server's own address and the banner
/// with the owner's one-time password.
final class DemoSeed: Sendable {
    let accounts: AccountDirectory
    let widgets: WidgetStore
    let logger: Logger
    private let created = Mutex<AccountDirectory.CreatedTenant?>(nil)

    init(accounts: AccountDirectory, widgets: WidgetStore, logger: Logger) {
        self.accounts = accounts
        self.widgets = widgets
        self.logger = logger
    }

    /// Creates the tenant when the installation has none.
    func seedTenant() async throws {
        guard let tenant = try await accounts.seedDemoIfEmpty() else { return }
        logger.info("created the demo tenant", metadata: ["slug": "\(tenant.tenant.slug)"])
        created.withLock { $0 = tenant }
    }

    /// At every start, where the workspace and the demo page are; after `seedTenant` created the
    /// tenant, also its widget and the banner with the owner's one-time password.
    func announce(at address: ListeningAddress) async {
        defer {
            // Opened as localhost, the demo takes its widget from 127.0.0.1: another origin.
            FileHandle.standardOutput.write(Data("""
                Agent workspace: \(address.url)/app/   Demo page with the chat widget: \(address.url)/demo \
                (from another origin: \(address.scheme)://localhost:\(address.port)/demo)

                """.utf8))
        }
        guard let created = created.withLock({ $0.take() }) else { return }
        let localOrigins = [address.url, "\(address.scheme)://localhost:\(address.port)"]
        // A widget allowed on this server's own address, so the sockets can be tried at once.
        let owner = Principal(tenantID: created.tenant.id, userID: created.owner.id, credential: .session(UUID()),
                              permissions: BuiltinRole.owner.permissions, isOwner: true)
        var widget: Widget?
        do {
            widget = try await widgets.create(
                .init(name: "Demo site", allowedOrigins: localOrigins, greeting: "Hi! How can we help?"),
                by: owner, origin: RequestOrigin(ip: "127.0.0.1", userAgent: "kefu demo seed"))
        } catch {
            logger.warning("the demo widget was not created", metadata: ["error": "\(error)"])
        }
        // Shown once: only the hash is stored. Written straight to the descriptor, not
        // through print's buffer, so it shows at once even when stdout is a pipe or a file.
        FileHandle.standardOutput.write(Data("""

            Kefu demo tenant created. Sign in at \(address.url)/app/ with
              tenant:   \(created.tenant.slug)
              email:    \(created.owner.email)
              password: \(created.generatedPassword ?? "(as given)")
            This password is shown only now.
            Demo widget key: \(widget?.publicKey ?? "(not created)") (for pages at \(localOrigins.joined(separator: " or ")))


            """.utf8))
    }
}
