import Crypto
import Foundation
import PostgresNIO
import Testing
import Tenancy
import TestSupport
@testable import Auth
@testable import Realtime

/// Secrets at rest across real `kefu` processes: sealing what an older version left in the
/// clear, refusing to start without the right key, and `kefu secrets rotate-key`.
@Suite struct SecretsLiveTests {
    /// Secrets written in the clear, as a version before migration 0010 stored them.
    struct Planted: Sendable {
        let totp: TOTP
        let pendingTOTP: TOTP
        let widgetKey: String
        let widgetSecret: String
    }

    /// Tenants `acme` and `globex`; boss@acme with a confirmed TOTP seed and agent@acme with a
    /// pending one, and an acme widget with an identity secret, all stored in the clear.
    static func plantPlaintextSecrets(_ endpoint: DatabaseEndpoint) async throws -> Planted {
        try await RealtimeHarness.createTenants(endpoint)
        let totp = TOTP.generate(), pending = TOTP.generate()
        let widgetSecret = String(repeating: "5e", count: 32)
        return try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
            let logger = TestDatabase.logger
            var tenantID = UUID()
            for try await id in try await connection.query("SELECT id FROM tenants WHERE slug = 'acme'", logger: logger).decode(UUID.self) { tenantID = id }
            try await connection.query("SELECT set_config('app.tenant_id', \(tenantID.lowercased), false)", logger: logger)
            try await connection.query(
                "UPDATE users SET totp_secret = \(totp.secret), totp_enabled_at = now() WHERE email = 'boss@acme.example'", logger: logger)
            try await connection.query("UPDATE users SET totp_pending_secret = \(pending.secret) WHERE email = 'agent@acme.example'", logger: logger)
            let widgetKey = WidgetStore.newPublicKey(tenantID: tenantID)
            try await connection.query("""
                INSERT INTO widgets (tenant_id, name, public_key, identity_secret, allowed_origins)
                VALUES (\(tenantID), 'Old shop', \(widgetKey), \(widgetSecret), \([RealtimeHarness.origin]))
                """, logger: logger)
            return Planted(totp: totp, pendingTOTP: pending, widgetKey: widgetKey, widgetSecret: widgetSecret)
        }
    }

    /// Every stored secret as `column: key id` (or `plaintext` while still in the clear), with its ciphertext.
    static func storedSecrets(_ endpoint: DatabaseEndpoint) async throws -> [String: (keyID: String, ciphertext: Data?)] {
        try await endpoint.withConnection(logger: TestDatabase.logger) { connection in
            let logger = TestDatabase.logger
            try await connection.query("SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'acme'), false)", logger: logger)
            var stored: [String: (keyID: String, ciphertext: Data?)] = [:]
            let rows = try await connection.query("""
                SELECT 'totp'::text, totp_secret IS NOT NULL, totp_secret_key_id, totp_secret_sealed FROM users WHERE email = 'boss@acme.example'
                UNION ALL
                SELECT 'pending', totp_pending_secret IS NOT NULL, totp_pending_secret_key_id, totp_pending_secret_sealed FROM users
                WHERE email = 'agent@acme.example'
                UNION ALL
                SELECT 'widget', identity_secret IS NOT NULL, identity_secret_key_id, identity_secret_sealed FROM widgets
                """, logger: logger)
            for try await (name, plaintext, keyID, ciphertext) in rows.decode((String, Bool, String?, Data?).self) {
                stored[name] = (plaintext ? "plaintext" : keyID ?? "none", ciphertext)
            }
            return stored
        }
    }

    static func newKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static func keyID(_ base64: String) throws -> String {
        try MasterKeys(parsing: base64, source: "test").current.id
    }

    static func stop(_ node: KefuProcess) async throws {
        node.signal(SIGTERM)
        #expect(try await node.waitForExit(timeout: .seconds(30)) == 0)
    }

    /// Signs boss@acme in with the TOTP code for the step after the current one (each is
    /// accepted once, so successive sign-ins move forward); fails the test unless it works.
    static func signInWithTOTP(_ node: KefuProcess, _ totp: TOTP, step offset: Int64) async throws -> String {
        let code = totp.code(forStep: TOTP.step(at: Date()) + offset)
        let reply = try await RealtimeHarness.request(node, .post, "/api/v1/auth/login", [
            "tenant": "acme", "email": "boss@acme.example", "password": TestApplication.password, "totp": code,
        ])
        return try #require(reply.json["token"] as? String, "TOTP sign-in failed: \(reply.text)")
    }

    /// Opens a visitor socket on the planted widget proving identity `user-7` with its secret.
    static func helloWithIdentity(_ node: KefuProcess, _ planted: Planted, endpoint: DatabaseEndpoint) async throws -> JSONFrame {
        let harness = RealtimeHarness(endpoint: endpoint, nodes: [node], acmeWidgetKey: planted.widgetKey,
                                      acmeWidgetSecret: planted.widgetSecret, globexWidgetKey: "")
        let hash = HMAC<SHA256>.authenticationCode(for: Data("user-7".utf8), using: SymmetricKey(data: Data(planted.widgetSecret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
        let socket = try await harness.visitor()
        try await socket.send(["type": "hello", "v": 1, "identity": ["userId": "user-7", "hash": hash] as [String: any Sendable]])
        let answer = try await socket.next(timeout: .seconds(30))
        await socket.close()
        return try #require(answer)
    }

    @Test func startUpSealsSecretsAnOlderVersionLeftInTheClearOnceAndTheyStillWork() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let planted = try await Self.plantPlaintextSecrets(endpoint)
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.keyID) == ["totp": "plaintext", "pending": "plaintext", "widget": "plaintext"])
            let key = Self.newKey()
            let node = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": key])
            try await node.waitUntilReady()
            let sealed = try await Self.storedSecrets(endpoint)
            let id = try Self.keyID(key)
            #expect(sealed.mapValues(\.keyID) == ["totp": id, "pending": id, "widget": id])
            #expect(sealed["totp"]?.ciphertext?.range(of: planted.totp.secret) == nil)
            #expect(sealed["widget"]?.ciphertext?.range(of: Data(planted.widgetSecret.utf8)) == nil)

            _ = try await Self.signInWithTOTP(node, planted.totp, step: 0)
            #expect(try await Self.helloWithIdentity(node, planted, endpoint: endpoint)["type"] as? String == "welcome")
            try await Self.stop(node)

            // A second start finds nothing in the clear and rewrites nothing.
            let again = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": key])
            try await again.waitUntilReady()
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.ciphertext) == sealed.mapValues(\.ciphertext))
            try await Self.stop(again)
        }
    }

    @Test func aNodeWithoutTheKeyThatSealedTheSecretsRefusesToStartWithOneLineNamingIt() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            _ = try await Self.plantPlaintextSecrets(endpoint)
            let key = Self.newKey()
            let node = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": key])
            try await node.waitUntilReady()
            try await Self.stop(node)

            let stranger = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": Self.newKey()])
            #expect(try await stranger.waitForExit(timeout: .seconds(60)) == 1)
            let lines = stranger.output.split(separator: "\n").map(String.init)
            let last = try #require(lines.last)
            #expect(last.hasPrefix("kefu: the stored secrets need master key \(try Self.keyID(key)), which this node lacks"), "\(stranger.output)")
            #expect(!stranger.output.contains("listening on"))
        }
    }

    @Test func rotateKeyReSealsEverySecretUnderTheNewKeyAndOldRowsOpenBeforeAndAfter() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let planted = try await Self.plantPlaintextSecrets(endpoint)
            let old = Self.newKey(), new = Self.newKey()
            let node = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": old])
            try await node.waitUntilReady()
            _ = try await Self.signInWithTOTP(node, planted.totp, step: 0)
            try await Self.stop(node)

            let database = ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database)]
            let refused = try await KefuProcess.run(["secrets", "rotate-key"], environment: database.merging(["KEFU_MASTER_KEY": old]) { $1 })
            #expect(refused.status == 1)
            #expect(refused.output.contains("pass it as --new-key"), "\(refused.output)")

            let rotated = try await KefuProcess.run(["secrets", "rotate-key", "--new-key", new],
                                                    environment: database.merging(["KEFU_MASTER_KEY": old]) { $1 })
            #expect(rotated.status == 0, "\(rotated.output)")
            let newID = try Self.keyID(new)
            #expect(rotated.output.contains("master key \(newID) is now current: re-sealed 3 stored secrets"), "\(rotated.output)")
            #expect(rotated.output.contains("KEFU_MASTER_KEY=\(new),\(old)"))
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.keyID) == ["totp": newID, "pending": newID, "widget": newID])

            // The old key is no longer needed: the new one alone opens every secret.
            let after = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": new])
            try await after.waitUntilReady()
            _ = try await Self.signInWithTOTP(after, planted.totp, step: 1)
            #expect(try await Self.helloWithIdentity(after, planted, endpoint: endpoint)["type"] as? String == "welcome")
            // The pending enrolment was re-sealed too: its first code still confirms it.
            let agent = try await RealtimeHarness.token(after, tenant: "acme", email: "agent@acme.example")
            let confirmed = try await RealtimeHarness.request(after, .post, "/api/v1/me/two-factor/confirm",
                                                              ["code": planted.pendingTOTP.code(forStep: TOTP.step(at: Date()))], token: agent)
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            try await Self.stop(after)

            // Rotating again to the current key has nothing left to re-seal.
            let repeated = try await KefuProcess.run(["secrets", "rotate-key", "--new-key", new],
                                                     environment: database.merging(["KEFU_MASTER_KEY": "\(new),\(old)"]) { $1 })
            #expect(repeated.output.contains("master key \(newID) is now current: re-sealed 0 stored secrets"), "\(repeated.output)")
        }
    }

    @Test func withTheKeyFileRotateKeyGeneratesAKeyPutsItFirstAndKeepsTheOldOne() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let planted = try await Self.plantPlaintextSecrets(endpoint)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-keyfile-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let environment = ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database), "KEFU_DATA_DIR": directory.path]
            let node = try KefuProcess(["serve"], environment: environment)
            try await node.waitUntilReady()
            try await Self.stop(node)
            let file = MasterKeyFile(directory: directory)
            let first = try #require(try file.load())
            #expect(first.all.count == 1)
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.keyID) == ["totp": first.current.id, "pending": first.current.id, "widget": first.current.id])

            let rotated = try await KefuProcess.run(["secrets", "rotate-key"], environment: environment)
            #expect(rotated.status == 0, "\(rotated.output)")
            let keys = try #require(try file.load())
            #expect(keys.all.count == 2 && keys.all.last?.id == first.current.id)
            #expect(rotated.output.contains("master key \(keys.current.id) is now current"), "\(rotated.output)")
            let id = keys.current.id
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.keyID) == ["totp": id, "pending": id, "widget": id])

            let status = try await KefuProcess.run(["secrets", "status"], environment: environment)
            #expect(status.output.contains("\(id) (current), \(first.current.id)"), "\(status.output)")

            let again = try KefuProcess(["serve"], environment: environment)
            try await again.waitUntilReady()
            _ = try await Self.signInWithTOTP(again, planted.totp, step: 0)
            try await Self.stop(again)
        }
    }

    @Test func afterALostKeyDiscardLostKeyGivesUpItsSecretsAndNodesStartAgain() async throws {
        try await TestDatabase.with(migrated: true) { endpoint in
            let planted = try await Self.plantPlaintextSecrets(endpoint)
            let lost = Self.newKey(), replacement = Self.newKey()
            let node = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": lost])
            try await node.waitUntilReady()
            try await Self.stop(node)
            let lostID = try Self.keyID(lost)

            let environment = ["DATABASE_URL": try KefuProcess.databaseURL(endpoint.database), "KEFU_MASTER_KEY": replacement]
            let unconfirmed = try await KefuProcess.run(["secrets", "discard-lost-key", lostID], environment: environment)
            #expect(unconfirmed.status == 1 && unconfirmed.output.contains("--yes"), "\(unconfirmed.output)")
            #expect(try await Self.storedSecrets(endpoint).mapValues(\.keyID) == ["totp": lostID, "pending": lostID, "widget": lostID])

            let discarded = try await KefuProcess.run(["secrets", "discard-lost-key", lostID, "--yes"], environment: environment)
            #expect(discarded.status == 0, "\(discarded.output)")
            #expect(discarded.output.contains("users.totp_secret: 1 removed"), "\(discarded.output)")
            #expect(discarded.output.contains("widgets.identity_secret: 1 replaced with a new random value"), "\(discarded.output)")
            let stored = try await Self.storedSecrets(endpoint)
            #expect(stored.mapValues(\.keyID) == ["totp": "none", "pending": "none", "widget": try Self.keyID(replacement)])

            let after = try await RealtimeHarness.start(endpoint, environment: ["KEFU_MASTER_KEY": replacement])
            try await after.waitUntilReady()
            // Two-factor authentication stays on (a recovery code is the way in); the old seed is gone.
            let withCode = try await RealtimeHarness.request(after, .post, "/api/v1/auth/login", [
                "tenant": "acme", "email": "boss@acme.example", "password": TestApplication.password,
                "totp": planted.totp.code(forStep: TOTP.step(at: Date())),
            ])
            #expect(withCode.json["code"] as? String == "two-factor-invalid", "\(withCode.text)")
            // The widget still serves visitors; the old identity secret no longer proves anyone.
            #expect(try await Self.helloWithIdentity(after, planted, endpoint: endpoint)["code"] as? String == "forbidden")
            try await Self.stop(after)
        }
    }
}
