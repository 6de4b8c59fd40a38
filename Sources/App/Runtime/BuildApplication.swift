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
    /// Seals and opens the secrets stored at rest (TOTP seeds, widget identity secrets).
    let secrets: SecretBox

    init(configuration: Configuration, database: Database, migrator: Migrator, logger: Logger,
         auditSigner: AuditSigner, secrets: SecretBox, hasher: PasswordHasher = PasswordHasher()) {
        self.configuration = configuration
        self.secrets = secrets
        self.database = database
        self.migrator = migrator
        self.logger = logger
        self.auditSigner = auditSigner
        self.hasher = hasher
        self.realtime = RealtimeServices(
            database: database,
            authenticator: Authenticator(sessions: SessionStore(database: database), tokens: ApiTokenStore(database: database)),
            secrets: secrets, logger: logger, maximumLoopLag: .milliseconds(configuration.maximumLoopLagMilliseconds))
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
    router.add(middleware: ClientAddressMiddleware(resolver: configuration.clientAddresses))
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(hstsMaxAge: configuration.tls == nil ? nil : 31_536_000))
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    let routeTable = RouteTableReference()
    router.add(middleware: ProblemMiddleware(routes: routeTable))
    router.add(middleware: WidgetAssetsMiddleware())
    router.add(middleware: FileMiddleware(configuration.publicDirectory.path, searchForIndexHtml: true, logger: dependencies.logger))
    WebPagesController(
        publicDirectory: configuration.publicDirectory,
        widgets: WidgetFront(database: dependencies.database, secrets: dependencies.secrets, maximumUploadBytes: configuration.maxUploadBytes),
        demoTenantSlug: AccountDirectory.demoTenantSlug
    ).addRoutes(to: router)

    HealthController(database: dependencies.database, migrator: dependencies.migrator, writer: dependencies.realtime.writer, readinessTimeout: .seconds(configuration.readinessTimeoutSeconds))
        .addRoutes(to: router)
    MetricsController(metrics: metrics, database: dependencies.database, writer: dependencies.realtime.writer,
                      words: dependencies.realtime.words, vectors: dependencies.realtime.retriever.vectors).addRoutes(to: router)

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
        login: LoginService(database: dependencies.database, hasher: dependencies.hasher, sessions: sessions, secrets: dependencies.secrets, throttle: loginThrottle),
        sessions: sessions, maxBodyBytes: configuration.maxBodyBytes, cookies: SessionCookies(forceSecure: configuration.secureCookies)
    ).addRoutes(to: v1)
    MeController(accounts: dependencies.accounts, sessions: sessions).addRoutes(to: v1)
    let database = dependencies.database
    let bodyLimit = configuration.maxBodyBytes
    AccountSecurityController(
        accounts: dependencies.accounts, twoFactor: TwoFactorService(database: database, hasher: dependencies.hasher, secrets: dependencies.secrets), maxBodyBytes: bodyLimit,
        throttle: loginThrottle
    ).addRoutes(to: v1)
    UsersController(users: UserAdministration(database: database, hasher: dependencies.hasher), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    RolesController(roles: RoleAdministration(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    TeamsController(teams: TeamAdministration(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    TokensController(tokens: ApiTokenStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    SecuritySettingsController(settings: SecuritySettingsStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    ConversationSettingsController(settings: ConversationSettingsStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    WidgetsController(widgets: WidgetStore(database: database, secrets: dependencies.secrets), audit: AuditLog(database: database),
                      maxBodyBytes: bodyLimit).addRoutes(to: v1)
    ConversationsController(queries: ConversationQueries(database: database), service: dependencies.realtime.conversations,
                            maxBodyBytes: bodyLimit).addRoutes(to: v1)
    KnowledgeController(knowledge: KnowledgeStore(database: database), retriever: dependencies.realtime.retriever,
                        embedder: dependencies.realtime.embedder, maxBodyBytes: bodyLimit).addRoutes(to: v1)
    CannedRepliesController(replies: CannedReplyStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    VisitorsController(visitors: VisitorQueries(database: database)).addRoutes(to: v1)
    AgentsController(directory: AgentDirectory(database: database)).addRoutes(to: v1)
    WidgetConfigController(front: WidgetFront(database: database, secrets: dependencies.secrets, maximumUploadBytes: configuration.maxUploadBytes))
        .addRoutes(to: v1)
    AttachmentsController(attachments: AttachmentStore(database: database, writer: dependencies.realtime.writer,
                                                       maximumBytes: configuration.maxUploadBytes)).addRoutes(to: v1)
    AuditController(log: AuditLog(database: dependencies.database), verifier: dependencies.auditVerifier).addRoutes(to: v1)
    WordsController(rules: WordRuleStore(database: database, matchers: dependencies.realtime.words, nodeID: dependencies.realtime.nodeID),
                    maxBodyBytes: bodyLimit).addRoutes(to: v1)
    WordFlagsController(flags: WordFlagStore(database: database), maxBodyBytes: bodyLimit).addRoutes(to: v1)
    BotProvidersController(providers: BotProviderStore(database: database, secrets: dependencies.secrets), streamer: dependencies.realtime.streamer,
                           embedder: dependencies.realtime.embedder, presence: dependencies.realtime.bot.providerPresence,
                           maxBodyBytes: bodyLimit).addRoutes(to: v1)
    WordListsController(rules: WordRuleStore(database: database, matchers: dependencies.realtime.words, nodeID: dependencies.realtime.nodeID))
        .addRoutes(to: v1)

    routeTable.set(RouteTable(router: router))
    return router
}

/// The application `kefu serve` runs: the router on the configured address, with the
/// database pool (and the local cluster, when this process owns it) as its services. Once bound
/// it logs `listening on http://HOST:PORT` with the port it got (the system's pick for port 0).
func buildApplication(_ dependencies: ApplicationDependencies, servicesBeforePool: [any Service] = []) throws -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let router = try buildRouter(dependencies, metrics: metrics)
    let configuration = dependencies.configuration
    let logger = dependencies.logger
    let address = ListeningAddress(scheme: configuration.tls == nil ? "http" : "https", host: configuration.host, port: configuration.port)
    let demo = configuration.seedDemoTenant
        ? DemoSeed(accounts: dependencies.accounts, widgets: WidgetStore(database: dependencies.database, secrets: dependencies.secrets), logger: logger) : nil
    var app = Application(
        router: router,
        server: try serverBuilder(configuration, gateway: dependencies.realtime.gateway),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Kefu"),
        onServerRunning: { channel in
            address.bound(to: channel.localAddress?.port ?? configuration.port)
            await demo?.announce(at: address)
            logger.info("listening on \(address.url)")
        },
        logger: logger)
    if let redirectPort = configuration.tls?.redirectPort {
        app.addServices(HTTPSRedirect.application(host: configuration.host, port: redirectPort, https: address, logger: logger))
    }
    // Services stop in reverse order: the server, then the pool, then what came before it.
    app.addServices(servicesBeforePool)
    app.addServices(dependencies.database)
    // After the pool, so they stop before it and after the server: the sockets close, the writer
    // flushes what it holds, then the background work ends its jobs (see `RealtimeServices.services`).
    app.addServices(dependencies.realtime.services(logger: dependencies.logger))
    if dependencies.configuration.auditCheckpointSeconds > 0 {
        app.addServices(AuditCheckpointService(
            database: dependencies.database, signer: dependencies.auditSigner,
            interval: .seconds(dependencies.configuration.auditCheckpointSeconds), logger: dependencies.logger))
    }
    if let demo {
        app.beforeServerStarts { try await demo.seedTenant() }
    }
    return app
}

/// HTTP/1.1 with the realtime sockets, or the same over TLS when `KEFU_TLS_CERT` and `KEFU_TLS_KEY` are set.
func serverBuilder(_ configuration: Configuration, gateway: SocketGateway) throws -> HTTPServerBuilder {
    let upgradeLimit = configuration.webSocketUpgradeRateLimitPerMinute
    let upgradeGuard = RealtimeServerChannel.UpgradeGuard(
        clientAddresses: configuration.clientAddresses, limiter: upgradeLimit > 0 ? RateLimiter(perMinute: upgradeLimit) : nil)
    let plain = HTTPServerBuilder { responder in
        RealtimeServerChannel(responder: responder, gateway: gateway, upgradeGuard: upgradeGuard, configuration: .init())
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
        AgentsController.openAPIPaths,
        WidgetConfigController.openAPIPaths,
        AttachmentsController.openAPIPaths,
        AuditController.openAPIPaths,
        WordsController.openAPIPaths,
        WordFlagsController.openAPIPaths,
        WordListsController.openAPIPaths,
        BotProvidersController.openAPIPaths,
        KnowledgeController.openAPIPaths,
        CannedRepliesController.openAPIPaths,
    ])
}
