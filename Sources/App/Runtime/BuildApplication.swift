import Admin
import Foundation
import Auth
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import Realtime
import ServiceLifecycle
import Tenancy

/// Kefu's version, reported by `kefu --version`, `/api/v1/info` and the OpenAPI document.
enum KefuVersion {
    static let current = "0.1.0"
}

/// What the HTTP application needs, created once by `kefu serve` (or a test).
struct ApplicationDependencies: Sendable {
    let configuration: Configuration
    let database: Database
    let migrator: Migrator
    let logger: Logger
    let hasher: PasswordHasher
    let auditSigner: AuditSigner
    let realtime: RealtimeServices

    init(configuration: Configuration, database: Database, migrator: Migrator, logger: Logger,
         auditSigner: AuditSigner, hasher: PasswordHasher = PasswordHasher()) {
        self.configuration = configuration
        self.database = database
        self.migrator = migrator
        self.logger = logger
        self.auditSigner = auditSigner
        self.hasher = hasher
        self.realtime = RealtimeServices(
            database: database,
            authenticator: Authenticator(sessions: SessionStore(database: database), tokens: ApiTokenStore(database: database)),
            logger: logger)
    }

    var auditVerifier: AuditVerifier {
        AuditVerifier(database: database, trustedKeys: [auditSigner.publicKey] + configuration.auditTrustedKeys)
    }

    var sessions: SessionStore { SessionStore(database: database) }
    var accounts: AccountDirectory { AccountDirectory(database: database, hasher: hasher) }
    var authenticator: Authenticator { Authenticator(sessions: sessions, tokens: ApiTokenStore(database: database)) }
}

/// Assembles the router: middleware, static files, health, metrics and the `/api` routes.
/// `kefu serve` and the tests both build the application through this function.
func buildRouter(_ dependencies: ApplicationDependencies, metrics: ServerMetrics) throws -> Router<KefuRequestContext> {
    let configuration = dependencies.configuration
    let router = Router(context: KefuRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(hstsMaxAge: configuration.tls == nil ? nil : 31_536_000))
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    let routeTable = RouteTableReference()
    router.add(middleware: ProblemMiddleware(routes: routeTable))
    router.add(middleware: FileMiddleware(configuration.publicDirectory.path, searchForIndexHtml: true, logger: dependencies.logger))

    HealthController(database: dependencies.database, migrator: dependencies.migrator, readinessTimeout: .seconds(configuration.readinessTimeoutSeconds))
        .addRoutes(to: router)
    MetricsController(metrics: metrics, database: dependencies.database, writer: dependencies.realtime.writer).addRoutes(to: router)

    let sessions = dependencies.sessions
    let loginThrottle = LoginThrottle(limits: .init(
        failuresPerAccount: configuration.loginFailuresPerAccount, failuresPerIP: configuration.loginFailuresPerIP))
    let api = router.group("api")
        .add(middleware: APIHeadersMiddleware())
        .add(middleware: RateLimitMiddleware(limiter: RateLimiter(perMinute: configuration.apiRateLimitPerMinute)))
        .add(middleware: AuthenticationMiddleware(authenticator: dependencies.authenticator))
    try OpenAPIController(document: openAPIDocument()).addRoutes(to: api)
    let v1 = api.group("v1")
    InfoController(version: KefuVersion.current).addRoutes(to: v1)
    AuthController(
        login: LoginService(database: dependencies.database, hasher: dependencies.hasher, sessions: sessions, throttle: loginThrottle),
        sessions: sessions, maxBodyBytes: configuration.maxBodyBytes, secureCookies: configuration.secureCookies
    ).addRoutes(to: v1)
    MeController(accounts: dependencies.accounts, sessions: sessions).addRoutes(to: v1)
    let database = dependencies.database
    let bodyLimit = configuration.maxBodyBytes
    AccountSecurityController(
        accounts: dependencies.accounts, twoFactor: TwoFactorService(database: database, hasher: dependencies.hasher), maxBodyBytes: bodyLimit,
        throttle: loginThrottle
    ).addRoutes(to: v1)
    UsersController(users: UserAdministration(database: database, hasher: dependencies.hasher), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    RolesController(roles: RoleAdministration(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    TeamsController(teams: TeamAdministration(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    TokensController(tokens: ApiTokenStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    SecuritySettingsController(settings: SecuritySettingsStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    ConversationSettingsController(settings: ConversationSettingsStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    WidgetsController(widgets: WidgetStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    ConversationsController(queries: ConversationQueries(database: database), service: dependencies.realtime.conversations,
                            maxBodyBytes: bodyLimit).addRoutes(to: v1)
    VisitorsController(visitors: VisitorQueries(database: database)).addRoutes(to: v1)
    AttachmentsController(attachments: AttachmentStore(database: database, writer: dependencies.realtime.writer,
                                                       maximumBytes: configuration.maxUploadBytes)).addRoutes(to: v1)
    AuditController(log: AuditLog(database: dependencies.database), verifier: dependencies.auditVerifier).addRoutes(to: v1)

    routeTable.set(RouteTable(router: router))
    return router
}

/// The application `kefu serve` runs: the router on the configured address, with the
/// database pool (and the local cluster, when this process owns it) as its services.
func buildApplication(_ dependencies: ApplicationDependencies, servicesBeforePool: [any Service] = []) throws -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let router = try buildRouter(dependencies, metrics: metrics)
    let configuration = dependencies.configuration
    var app = Application(
        router: router,
        server: try serverBuilder(configuration, gateway: dependencies.realtime.gateway),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Kefu"),
        logger: dependencies.logger)
    if let redirectPort = configuration.tls?.redirectPort {
        app.addServices(HTTPSRedirect.application(host: configuration.host, port: redirectPort, httpsPort: configuration.port, logger: dependencies.logger))
    }
    // Services stop in reverse order: the server, then the pool, then what came before it.
    app.addServices(servicesBeforePool)
    app.addServices(dependencies.database.client)
    // After the pool, so they stop before it: the writer flushes what it holds first.
    app.addServices(dependencies.realtime.services(logger: dependencies.logger))
    if dependencies.configuration.auditCheckpointSeconds > 0 {
        app.addServices(AuditCheckpointService(
            database: dependencies.database, signer: dependencies.auditSigner,
            interval: .seconds(dependencies.configuration.auditCheckpointSeconds), logger: dependencies.logger))
    }
    if dependencies.configuration.seedDemoTenant {
        let accounts = dependencies.accounts
        let logger = dependencies.logger
        let address = "http://\(dependencies.configuration.host):\(dependencies.configuration.port)"
        let widgets = WidgetStore(database: dependencies.database)
        let localOrigins = [address, "http://localhost:\(dependencies.configuration.port)"]
        app.beforeServerStarts {
            if let created = try await accounts.seedDemoIfEmpty() {
                logger.info("created the demo tenant", metadata: ["slug": "\(created.tenant.slug)"])
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

                    Kefu demo tenant created. Sign in at \(address) with
                      tenant:   \(created.tenant.slug)
                      email:    \(created.owner.email)
                      password: \(created.generatedPassword ?? "(as given)")
                    This password is shown only now.
                    Demo widget key: \(widget?.publicKey ?? "(not created)") (for pages at \(localOrigins.joined(separator: " or ")))


                    """.utf8))
            }
        }
    }
    return app
}

/// HTTP/1.1 with the realtime sockets, or the same over TLS when `KEFU_TLS_CERT` and `KEFU_TLS_KEY` are set.
func serverBuilder(_ configuration: Configuration, gateway: SocketGateway) throws -> HTTPServerBuilder {
    let plain = HTTPServerBuilder { responder in
        RealtimeServerChannel(responder: responder, gateway: gateway, configuration: .init())
    }
    guard let tls = configuration.tls else { return plain }
    do {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
        return try .tls(plain, tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    } catch {
        throw ConfigurationError(variable: "KEFU_TLS_CERT", value: tls.certificatePath, expected: "a PEM certificate chain matching the PEM key in KEFU_TLS_KEY (\(error))")
    }
}

/// The OpenAPI document of every `/api` route this build registers.
func openAPIDocument() -> JSONValue {
    OpenAPIDocument.build(version: KefuVersion.current, paths: [
        OpenAPIController.openAPIPaths,
        InfoController.openAPIPaths,
        AuthController.openAPIPaths,
        MeController.openAPIPaths,
        AccountSecurityController.openAPIPaths,
        UsersController.openAPIPaths,
        RolesController.openAPIPaths,
        TeamsController.openAPIPaths,
        TokensController.openAPIPaths,
        SecuritySettingsController.openAPIPaths,
        ConversationSettingsController.openAPIPaths,
        WidgetsController.openAPIPaths,
        ConversationsController.openAPIPaths,
        VisitorsController.openAPIPaths,
        AttachmentsController.openAPIPaths,
        AuditController.openAPIPaths,
    ])
}
