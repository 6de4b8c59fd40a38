import Auth
import Crypto
import Foundation
import PostgresNIO
import Tenancy

/// Visitors as the visitor socket sees them: the widget behind a public key, and who is
/// connecting — kept across page loads by an opaque token (`kfv_…`, stored as its SHA-256),
/// optionally proven to be one of the site's users by an HMAC of their user id.
struct VisitorDirectory: Sendable {
    let database: Database

    /// The widget a public key names, or nil, its identity secret opened with `secrets`. The key
    /// carries its tenant id, so the lookup runs in that tenant's scope like every other query.
    func widget(publicKey: String, secrets: SecretBox) async throws -> (tenantID: UUID, widget: Widget)? {
        guard let tenantID = Self.tenantID(fromPublicKey: publicKey) else { return nil }
        return try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("SELECT \(unescaped: WidgetStore.columns) FROM widgets WHERE public_key = \(publicKey)")
            return try await WidgetStore.decode(rows, tenantID: tenantID, secrets: secrets).first.map { (tenantID, $0.item) }
        }
    }

    /// The allowed origins of the widget a public key names, or nil: for checks that need no
    /// secret (an upload's CORS).
    func allowedOrigins(publicKey: String) async throws -> [String]? {
        guard let tenantID = Self.tenantID(fromPublicKey: publicKey) else { return nil }
        return try await database.withTenant(tenantID) { tx in
            let rows = try await tx.query("SELECT allowed_origins FROM widgets WHERE public_key = \(publicKey)")
            for try await origins in rows.decode([String].self) { return origins }
            return nil
        }
    }

    static func tenantID(fromPublicKey key: String) -> UUID? {
        guard key.hasPrefix("kfw_") else { return nil }
        return TenantKey.tenantID(of: key.dropFirst(4), randomBytes: 16)
    }

    /// What a visitor's `hello` tells about them.
    struct Hello: Sendable {
        var token: String?
        var verifiedUserID: String?
        var name: String?
        var email: String?
        var phone: String?
        var attributes: [String: AttributeValue]?
        var pageURL: String?
        var referrer: String?
        var language: String?

        /// Says nothing worth a row of its own: no identity, no profile field. Its page, referrer
        /// and language wait with the socket until the visitor does something (`create`).
        var isAnonymous: Bool {
            verifiedUserID == nil && name == nil && email == nil && phone == nil && (attributes?.isEmpty ?? true)
        }
    }

    /// Finds or creates the visitor; returns a new token when one was issued. An anonymous hello
    /// whose token (if any) names nobody finds nothing and writes nothing: the answer is nil,
    /// and a flood of such connects grows no table.
    func identify(_ hello: Hello, widget: Widget, tenantID: UUID, origin: ConnectionOrigin) async throws -> (visitorID: UUID, newToken: String?)? {
        let wellFormedToken = hello.token.flatMap { $0.hasPrefix("kfv_") && $0.count < 100 ? $0 : nil }
        if hello.isAnonymous && wellFormedToken == nil { return nil }
        return try await database.withTenant(tenantID) { tx in
            var visitorID: UUID?
            var verifiedAs: String?
            if let token = wellFormedToken {
                let rows = try await tx.query("SELECT id, external_id FROM visitors WHERE token_hash = \(Self.hash(token)) AND widget_id = \(widget.id)")
                for try await (id, externalID) in rows.decode((UUID, String?).self) { (visitorID, verifiedAs) = (id, externalID) }
            }
            return try await Self.settle(visitorID, verifiedAs: verifiedAs, hello: hello, widget: widget, origin: origin, in: tx)
        }
    }

    /// A visitor already on a socket says more about themselves (a `profile` frame): their
    /// profile is updated, and a verified identity makes them that site user's visitor, which may
    /// be another one (returned, with a new token) when that user has chatted before.
    func amend(_ visitorID: UUID, with hello: Hello, widget: Widget, tenantID: UUID, origin: ConnectionOrigin) async throws -> (visitorID: UUID, newToken: String?) {
        try await database.withTenant(tenantID) { tx in
            var verifiedAs: String?
            var found = false
            let rows = try await tx.query("SELECT external_id FROM visitors WHERE id = \(visitorID) AND widget_id = \(widget.id) FOR UPDATE")
            for try await externalID in rows.decode(String?.self) { (found, verifiedAs) = (true, externalID) }
            guard found else { throw RealtimeError.visitorNotFound }
            // Identified once, a visitor stays that user: an amendment without the proof keeps them.
            var hello = hello
            if hello.verifiedUserID == nil { hello.verifiedUserID = verifiedAs }
            guard let settled = try await Self.settle(visitorID, verifiedAs: verifiedAs, hello: hello, widget: widget, origin: origin, in: tx) else {
                throw RealtimeError.visitorNotFound
            }
            return settled
        }
    }

    /// Who `visitorID` (found by token or on the socket; nil for nobody) turns out to be given the
    /// hello's verified identity, creating a visitor when needed (never for an anonymous hello),
    /// and their profile updated with what the hello says.
    private static func settle(_ found: UUID?, verifiedAs: String?, hello: Hello, widget: Widget, origin: ConnectionOrigin,
                               in tx: TenantTransaction) async throws -> (visitorID: UUID, newToken: String?)? {
        var visitorID = found
        if let verifiedAs, verifiedAs != hello.verifiedUserID {
            // The browser's token belongs to another signed-in user (a shared computer), or
            // this page no longer proves who they are: start afresh rather than show their history.
            visitorID = nil
        }
        var newToken: String?
        if let userID = hello.verifiedUserID {
            // A verified identity wins: the same site user is the same visitor on every device.
            let rows = try await tx.query("SELECT id FROM visitors WHERE external_id = \(userID) AND widget_id = \(widget.id)")
            var known: UUID?
            for try await id in rows.decode(UUID.self) { known = id }
            if let known, known != visitorID {
                let token = Self.newToken()
                try await tx.query("UPDATE visitors SET token_hash = \(Self.hash(token)) WHERE id = \(known)")
                visitorID = known
                newToken = token
            } else if let visitorID, known == nil {
                try await tx.query("UPDATE visitors SET external_id = \(userID) WHERE id = \(visitorID)")
            }
        }
        if visitorID == nil {
            if hello.isAnonymous { return nil }
            let token = Self.newToken()
            let rows = try await tx.query("""
                INSERT INTO visitors (tenant_id, widget_id, token_hash, external_id)
                VALUES (\(tx.tenantID), \(widget.id), \(Self.hash(token)), \(hello.verifiedUserID)) RETURNING id
                """)
            for try await id in rows.decode(UUID.self) { visitorID = id }
            newToken = token
        }
        guard let visitorID else { throw RealtimeError.visitorNotFound }
        let attributes = try hello.attributes.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await tx.query("""
            UPDATE visitors SET
                name = COALESCE(\(hello.name), name), email = COALESCE(\(hello.email), email), phone = COALESCE(\(hello.phone), phone),
                attributes = CASE WHEN \(attributes)::text IS NULL THEN attributes ELSE attributes || \(attributes)::jsonb END,
                page_url = COALESCE(\(hello.pageURL), page_url), referrer = COALESCE(\(hello.referrer), referrer),
                language = COALESCE(\(hello.language), language), user_agent = \(String(origin.userAgent.prefix(512))),
                ip = \(origin.ip), last_seen_at = now()
            WHERE id = \(visitorID)
            """)
        return (visitorID, newToken)
    }

    /// Writes the row of a visitor who said an anonymous hello and now does something that needs
    /// it (a first send), with that hello's page, referrer and language; returns their new token.
    /// `id` is the one the welcome announced (made by the server, never by the client). Retried
    /// after a commit whose answer was lost, it finds its row and issues the token again.
    func create(_ hello: Hello, id: UUID, widget: Widget, tenantID: UUID, origin: ConnectionOrigin) async throws -> String {
        let token = Self.newToken()
        try await database.withTenant(tenantID) { tx in
            try await tx.query("""
                INSERT INTO visitors (tenant_id, id, widget_id, token_hash, page_url, referrer, language, user_agent, ip)
                VALUES (\(tx.tenantID), \(id), \(widget.id), \(Self.hash(token)), \(hello.pageURL ?? ""), \(hello.referrer ?? ""),
                        \(hello.language ?? ""), \(String(origin.userAgent.prefix(512))), \(origin.ip))
                ON CONFLICT (tenant_id, id) DO UPDATE SET token_hash = EXCLUDED.token_hash
                """)
        }
        return token
    }

    /// Checks a site's identity proof: hex HMAC-SHA256 of the user id under the widget's secret.
    static func verify(userID: String, hash: String, secret: String) -> Bool {
        let expected = HMAC<SHA256>.authenticationCode(for: Data(userID.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let hex = expected.map { String(format: "%02x", $0) }.joined()
        // Constant time: compare every byte whatever the first difference.
        let given = Array(hash.lowercased().utf8)
        let wanted = Array(hex.utf8)
        guard given.count == wanted.count else { return false }
        return zip(given, wanted).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func newToken() -> String {
        "kfv_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64URLEncoded()
    }

    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}
