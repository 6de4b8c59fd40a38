import Foundation
import PostgresNIO
import Tenancy
import Testing
import TestSupport
@testable import Auth

@Suite struct LoginAndSessionTests {
    static let password = "violet-harbour-42"

    struct Fixture {
        let database: Database
        let accounts: AccountDirectory
        let sessions: SessionStore
        let login: LoginService
    }

    func withFixture(idleTimeout: TimeInterval = 3600, _ body: @Sendable @escaping (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withServing { database, _ in
            let hasher = PasswordHasher()
            let sessions = SessionStore(database: database, lifetimes: .init(idleTimeout: idleTimeout))
            try await body(Fixture(
                database: database, accounts: AccountDirectory(database: database, hasher: hasher), sessions: sessions,
                login: LoginService(database: database, hasher: hasher, sessions: sessions, secrets: try TestSecrets.box())))
        }
    }

    @Test func aNewTenantGetsTheBuiltInRolesAndAnOwnerWithEveryPermission() async throws {
        try await withFixture { f in
            let created = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "Boss@Acme.example", ownerPassword: nil)
            #expect(created.generatedPassword?.count == 20)
            let roles = try await f.database.withTenant(created.tenant.id) { tx in
                var names: [String] = []
                for try await name in try await tx.query("SELECT builtin FROM roles ORDER BY builtin").decode(String.self) { names.append(name) }
                return names
            }
            #expect(roles == ["admin", "agent", "owner", "supervisor"])
            let result = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: created.generatedPassword!, ip: "10.0.0.1", userAgent: "test")
            let principal = try #require(try await f.sessions.authenticate(result.token.value))
            #expect(principal.userID == created.owner.id)
            #expect(principal.permissions == Set(Permission.allCases))
        }
    }

    @Test func wrongPasswordUnknownEmailAndUnknownTenantGiveTheSameAnswer() async throws {
        try await withFixture { f in
            _ = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            for (tenant, email, password) in [("acme", "boss@acme.example", "wrong-password-1"), ("acme", "nobody@acme.example", Self.password), ("nope", "boss@acme.example", Self.password)] {
                await #expect(throws: AccountError.invalidCredentials) {
                    try await f.login.login(tenantSlug: tenant, email: email, password: password, ip: "", userAgent: "")
                }
            }
        }
    }

    @Test func aDisabledUserCannotSignInOrUseASession() async throws {
        try await withFixture { f in
            let created = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            let result = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "")
            try await f.database.withTenant(created.tenant.id) { tx in
                try await tx.query("UPDATE users SET status = 'disabled'")
            }
            #expect(try await f.sessions.authenticate(result.token.value) == nil)
            await #expect(throws: AccountError.accountDisabled) {
                try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "")
            }
        }
    }

    @Test func emailsAreUniquePerTenantIgnoringCase() async throws {
        try await withFixture { f in
            let created = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            await #expect(throws: AccountError.emailTaken) {
                try await f.database.withTenant(created.tenant.id) { tx in
                    try await AccountDirectory.insertUser(email: "BOSS@acme.example", displayName: "Twin", passwordHash: "x",
                                                          roleID: created.owner.roleID, in: tx)
                }
            }
            // Another tenant may use the same address.
            _ = try await f.accounts.createTenant(slug: "other", name: "Other", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
        }
    }

    @Test func weakOwnerPasswordsAndBadEmailsAreRefusedAndCreateNothing() async throws {
        try await withFixture { f in
            await #expect(throws: AccountError.weakPassword(.tooShort)) {
                try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: "short")
            }
            await #expect(throws: AccountError.invalidEmail) {
                try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "not-an-email", ownerPassword: Self.password)
            }
            let empty = try await TenantDirectory(database: f.database).isEmpty()
            #expect(empty)
        }
    }

    @Test func logoutRevokesOneSessionAndLogoutEverywhereRevokesAll() async throws {
        try await withFixture { f in
            _ = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            let first = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "a")
            let second = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "b")
            let third = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "c")
            let principal = try #require(try await f.sessions.authenticate(first.token.value))
            #expect(try await f.sessions.list(for: principal).count == 3)
            #expect(try await f.sessions.revoke(try #require(principal.sessionID), of: principal))
            #expect(try await f.sessions.authenticate(first.token.value) == nil)
            let other = try #require(try await f.sessions.authenticate(second.token.value))
            #expect(try await f.sessions.revokeAll(of: other) == 2)
            #expect(try await f.sessions.authenticate(third.token.value) == nil)
        }
    }

    @Test func anIdleSessionExpires() async throws {
        try await withFixture(idleTimeout: 3600) { f in
            let created = try await f.accounts.createTenant(slug: "acme", name: "Acme", ownerEmail: "boss@acme.example", ownerPassword: Self.password)
            let result = try await f.login.login(tenantSlug: "acme", email: "boss@acme.example", password: Self.password, ip: "", userAgent: "")
            #expect(try await f.sessions.authenticate(result.token.value) != nil)
            // Age the session past the idle timeout instead of sleeping: a loaded machine makes sleeps flaky.
            try await f.database.withTenant(created.tenant.id) { tx in
                try await tx.query("UPDATE sessions SET last_seen_at = now() - interval '3601 seconds'")
            }
            #expect(try await f.sessions.authenticate(result.token.value) == nil)
        }
    }

    @Test func aTokenForgedForAnotherTenantOpensNothing() async throws {
        try await withFixture { f in
            let a = try await f.accounts.createTenant(slug: "tenant-a", name: "A", ownerEmail: "a@a.example", ownerPassword: Self.password)
            _ = try await f.accounts.createTenant(slug: "tenant-b", name: "B", ownerEmail: "b@b.example", ownerPassword: Self.password)
            let real = try await f.login.login(tenantSlug: "tenant-b", email: "b@b.example", password: Self.password, ip: "", userAgent: "")
            // B's secret under A's tenant id: the lookup runs in A's scope and finds nothing.
            var bytes = Data(base64URLEncoded: String(real.token.value.dropFirst(4)))!
            bytes.replaceSubrange(0..<16, with: withUnsafeBytes(of: a.tenant.id.uuid) { Data($0) })
            #expect(try await f.sessions.authenticate("kfs_" + bytes.base64URLEncoded()) == nil)
        }
    }
}
