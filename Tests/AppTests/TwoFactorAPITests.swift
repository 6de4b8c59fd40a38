import Auth
import Foundation
import HummingbirdTesting
import Testing
@testable import App

@Suite struct TwoFactorAPITests {
    /// Enrols `session`'s user; returns the authenticator and the recovery codes.
    func enrol(_ session: APISession) async throws -> (TOTP, [String]) {
        let enrolment = try await session.post("/api/v1/me/two-factor").json()
        let secret = try #require(enrolment["secret"] as? String)
        let uri = try #require(enrolment["otpauthUri"] as? String)
        #expect(uri.hasPrefix("otpauth://totp/Kefu:"))
        #expect(uri.contains("secret=\(secret)") && uri.contains("issuer=Kefu") && uri.contains("digits=6") && uri.contains("period=30"))
        let totp = TOTP(secret: try #require(Base32.decode(secret)))
        #expect(try await session.post("/api/v1/me/two-factor/confirm", ["code": "000000"]).problemCode == "validation-failed")
        let confirmed = try await session.post("/api/v1/me/two-factor/confirm", ["code": totp.code(forStep: TOTP.step(at: Date()))])
        #expect(confirmed.status == .ok, "\(confirmed.text)")
        let codes = try #require(try confirmed.json()["recoveryCodes"] as? [String])
        return (totp, codes)
    }

    @Test func enrolmentThenLoginNeedsAFreshCodeOrAnUnusedRecoveryCode() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let (totp, codes) = try await enrol(boss)
            #expect(codes.count == 10 && Set(codes).count == 10)
            #expect(try await boss.get("/api/v1/me/two-factor").json()["enabled"] as? Bool == true)
            #expect(try await boss.post("/api/v1/me/two-factor").problemCode == "two-factor-state")

            let withoutCode = try await APISession.login(client, email: "boss@acme.example")
            #expect(withoutCode.status == .unauthorized)
            #expect(withoutCode.problemCode == "two-factor-required")
            #expect(try await APISession.login(client, email: "boss@acme.example", totp: "123456").problemCode == "two-factor-invalid")
            // The enrolment used the current step; the next one is still inside the window.
            let next = totp.code(forStep: TOTP.step(at: Date()) + 1)
            _ = try await APISession.signIn(client, email: "boss@acme.example", totp: next)
            let replayed = try await APISession.login(client, email: "boss@acme.example", totp: next)
            #expect(replayed.problemCode == "two-factor-invalid")

            let recovery = codes[0].uppercased()
            _ = try await APISession.signIn(client, email: "boss@acme.example", totp: recovery)
            #expect(try await APISession.login(client, email: "boss@acme.example", totp: recovery).problemCode == "two-factor-invalid")
            #expect(try await boss.get("/api/v1/me/two-factor").json()["recoveryCodesLeft"] as? Int == 9)

            let fresh = try await boss.post("/api/v1/me/two-factor/recovery-codes", ["password": TestApplication.password])
            let newCodes = try #require(try fresh.json()["recoveryCodes"] as? [String])
            #expect(try await APISession.login(client, email: "boss@acme.example", totp: codes[1]).problemCode == "two-factor-invalid")
            _ = try await APISession.signIn(client, email: "boss@acme.example", totp: newCodes[0])

            #expect(try await boss.post("/api/v1/me/two-factor/disable", ["password": "wrong-password-1"]).problemCode == "validation-failed")
            #expect(try await boss.post("/api/v1/me/two-factor/disable", ["password": TestApplication.password]).status == .noContent)
            _ = try await APISession.signIn(client, email: "boss@acme.example")
            let actions = try await boss.auditActions()
            for action in ["user.two_factor_enabled", "auth.second_factor_failed", "user.recovery_codes_regenerated", "user.two_factor_disabled"] {
                #expect(actions.contains(action), "\(action)")
            }
        }
    }

    @Test func theTenantCanRequireTwoFactorForAdministrativeRoles() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            #expect(try await boss.patch("/api/v1/settings/security", ["requireTwoFactorForAdmins": true]).problemCode == "enrol-two-factor-first")
            _ = try await boss.post("/api/v1/users", [
                "email": "admin@acme.example", "displayName": "Admin", "password": "saffron-lantern-77", "roleId": try await boss.builtinRole("admin"),
            ])
            _ = try await enrol(boss)
            let enabled = try await boss.patch("/api/v1/settings/security", ["requireTwoFactorForAdmins": true])
            #expect(try enabled.json()["requireTwoFactorForAdmins"] as? Bool == true)
            #expect(try await boss.get("/api/v1/users").status == .ok)

            // An administrator without 2FA signs in but holds no permission until enrolled.
            let admin = try await APISession.signIn(client, email: "admin@acme.example", password: "saffron-lantern-77")
            let me = try await admin.get("/api/v1/me").json()
            #expect(me["twoFactorEnrolmentRequired"] as? Bool == true)
            #expect(me["permissions"] as? [String] == [])
            #expect(try await admin.get("/api/v1/users").problemCode == "two-factor-enrolment-required")
            _ = try await enrol(admin)
            #expect(try await admin.get("/api/v1/users").status == .ok)
            #expect(try await admin.post("/api/v1/me/two-factor/disable", ["password": "saffron-lantern-77"]).problemCode == "two-factor-required-by-tenant")

            // Agents hold no administrative permission and are not affected.
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await agent.get("/api/v1/me").json()["twoFactorEnrolmentRequired"] as? Bool == false)
            #expect(try await boss.auditActions().contains("settings.updated"))
        }
    }

    @Test func changingThePasswordChecksTheOldOneAndEndsOtherSessions() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let elsewhere = try await APISession.signIn(client, email: "boss@acme.example")
            #expect(try await boss.post("/api/v1/me/password", ["currentPassword": "wrong-password-1", "newPassword": "cobalt-orchard-51"]).problemCode == "validation-failed")
            #expect(try await boss.post("/api/v1/me/password", ["currentPassword": TestApplication.password, "newPassword": "short"]).problemCode == "validation-failed")
            #expect(try await boss.post("/api/v1/me/password", ["currentPassword": TestApplication.password, "newPassword": "cobalt-orchard-51"]).status == .noContent)
            #expect(try await boss.get("/api/v1/me").status == .ok)
            #expect(try await elsewhere.get("/api/v1/me").status == .unauthorized)
            #expect(try await APISession.login(client, email: "boss@acme.example").status == .unauthorized)
            _ = try await APISession.signIn(client, email: "boss@acme.example", password: "cobalt-orchard-51")
            #expect(try await boss.auditActions().contains("user.password_changed"))
        }
    }

    @Test func wrongCurrentPasswordsAreThrottledLikeLogins() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            // Five wrong guesses over the three routes that ask for the current password…
            for (path, body) in [
                ("/api/v1/me/password", ["currentPassword": "guess-1", "newPassword": "cobalt-orchard-51"]),
                ("/api/v1/me/two-factor/disable", ["password": "guess-2"]),
                ("/api/v1/me/two-factor/recovery-codes", ["password": "guess-3"]),
                ("/api/v1/me/password", ["currentPassword": "guess-4", "newPassword": "cobalt-orchard-51"]),
                ("/api/v1/me/password", ["currentPassword": "guess-5", "newPassword": "cobalt-orchard-51"]),
            ] {
                #expect(try await boss.post(path, body).problemCode == "validation-failed")
            }
            // …and even the right one is refused for a while, with nothing changed.
            let throttled = try await boss.post("/api/v1/me/password", ["currentPassword": TestApplication.password, "newPassword": "cobalt-orchard-51"])
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
            #expect(try await APISession.login(client, email: "boss@acme.example").status == .ok)
        }
    }
}
