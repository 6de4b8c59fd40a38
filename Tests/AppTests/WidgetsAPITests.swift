import Foundation
import HummingbirdTesting
import Testing
@testable import App

@Suite struct WidgetsAPITests {
    static var valid: [String: Any] { [
        "name": "Shop", "allowedOrigins": ["https://Shop.example/", "http://localhost:3000"], "greeting": "你好！有什么可以帮您？",
        "businessHours": ["timeZone": "Asia/Shanghai", "weekly": [["day": 1, "open": "09:00", "close": "18:00"]]],
        "offlineBehavior": "leave_message", "themeColor": "#1F6FEB",
        "preChatFields": [["name": "email", "label": "Email", "type": "email", "required": true]],
    ] }

    @Test func widgetsAreCreatedChangedAndDeletedWithEveryChangeAudited() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let created = try await boss.post("/api/v1/widgets", Self.valid)
            #expect(created.status == .created, "\(created.text)")
            let widget = try created.json()
            let id = try #require(widget["id"] as? String)
            #expect((widget["publicKey"] as? String)?.hasPrefix("kfw_") == true)
            let secret = try #require(widget["identitySecret"] as? String)
            #expect(secret.count == 64)
            #expect(widget["allowedOrigins"] as? [String] == ["https://shop.example", "http://localhost:3000"])
            #expect(widget["themeColor"] as? String == "#1f6feb")
            #expect(widget["greeting"] as? String == "你好！有什么可以帮您？")
            #expect(widget["position"] as? String == "right", "the launcher sits on the right unless told otherwise")

            let team = try #require(try await boss.post("/api/v1/teams", ["name": "Pre-sales"]).json()["id"] as? String)
            let changed = try await boss.patch("/api/v1/widgets/\(id)", ["teamId": team, "businessHours": NSNull(), "rotateIdentitySecret": true,
                                                                         "position": "left"])
            #expect(changed.status == .ok, "\(changed.text)")
            let after = try changed.json()
            #expect((after["teamId"] as? String)?.lowercased() == team.lowercased())
            #expect(after["businessHours"] == nil || after["businessHours"] is NSNull)
            #expect(after["identitySecret"] as? String != secret)
            #expect(after["publicKey"] as? String == widget["publicKey"] as? String)
            #expect(after["position"] as? String == "left")
            #expect(try await boss.get("/api/v1/widgets/\(id)").json()["position"] as? String == "left", "the position is stored")
            #expect(try await boss.get("/api/v1/widgets").json()["items"].map { ($0 as? [[String: Any]])?.count } == 1)

            #expect(try await boss.delete("/api/v1/widgets/\(id)").status == .noContent)
            #expect(try await boss.get("/api/v1/widgets/\(id)").status == .notFound)
            let entries = try await boss.get("/api/v1/audit?action=widget.updated").json()["items"] as? [[String: Any]] ?? []
            let changes = try #require(entries.first?["changes"] as? [String: [String: Any]])
            #expect(changes["identitySecret"]?["to"] as? String == "[redacted]")
            #expect(!(try await boss.get("/api/v1/audit").text.contains(secret)))
            let actions = try await boss.auditActions()
            for action in ["widget.created", "widget.updated", "widget.deleted"] { #expect(actions.contains(action)) }
            #expect(changes["position"]?["to"] as? String == "left")
        }
    }

    @Test func badSettingsAreRefusedNamingTheFieldAndCreateNothing() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            func with(_ key: String, _ value: Any) -> [String: Any] { Self.valid.merging([key: value]) { $1 } }
            let cases: [([String: Any], String)] = [
                (with("name", ""), "name"),
                (with("allowedOrigins", []), "allowedOrigins"),
                (with("allowedOrigins", ["shop.example"]), "allowedOrigins"),
                (with("allowedOrigins", ["https://shop.example/path"]), "allowedOrigins"),
                (with("allowedOrigins", ["javascript:alert(1)"]), "allowedOrigins"),
                (with("themeColor", "red"), "themeColor"),
                (with("offlineBehavior", "vanish"), "offlineBehavior"),
                (with("position", "top"), "position"),
                (with("businessHours", ["timeZone": "Mars/Olympus", "weekly": []]), "businessHours.timeZone"),
                (with("businessHours", ["timeZone": "UTC", "weekly": [["day": 8, "open": "09:00", "close": "18:00"]]]), "businessHours.weekly[0].day"),
                (with("businessHours", ["timeZone": "UTC", "weekly": [["day": 1, "open": "18:00", "close": "09:00"]]]), "businessHours.weekly[0]"),
                (with("preChatFields", [["name": "Email!", "label": "Email", "type": "email", "required": true]]), "preChatFields[0].name"),
                (with("preChatFields", [["name": "email", "label": "Email", "type": "fax", "required": true]]), "preChatFields[0].type"),
                (with("teamId", UUID().uuidString), "teamId"),
                (with("secret", "x"), "secret"),
            ]
            for (body, field) in cases {
                let response = try await boss.post("/api/v1/widgets", body)
                #expect(response.status == .unprocessableContent, "\(field): \(response.text)")
                let errors = try response.json()["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["field"] as? String == field, "\(response.text)")
            }
            #expect((try await boss.get("/api/v1/widgets").json()["items"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func widgetsBelongToTheirTenantAndNeedThePermission() async throws {
        try await TestApplication.runWithTenant { client in
            let globex = try await APISession.signIn(client, email: "boss@globex.example", tenant: "globex")
            let theirs = try #require(try await globex.post("/api/v1/widgets", Self.valid).json()["id"] as? String)
            let acme = try await APISession.signIn(client, email: "boss@acme.example")
            #expect(try await acme.get("/api/v1/widgets/\(theirs)").status == .notFound)
            #expect(try await acme.patch("/api/v1/widgets/\(theirs)", ["name": "Mine now"]).status == .notFound)
            #expect(try await acme.delete("/api/v1/widgets/\(theirs)").status == .notFound)
            #expect((try await acme.get("/api/v1/widgets").json()["items"] as? [[String: Any]])?.isEmpty == true)
            let agent = try await APISession.signIn(client, email: "agent@acme.example")
            #expect(try await agent.get("/api/v1/widgets").status == .forbidden)
            #expect(try await globex.get("/api/v1/widgets/\(theirs)").json()["name"] as? String == "Shop")
            #expect(try await acme.post("/api/v1/widgets/\(theirs)/reveal-identity-secret").status == .notFound)
            #expect(try await agent.post("/api/v1/widgets/\(theirs)/reveal-identity-secret").status == .forbidden)
        }
    }

    @Test func theIdentitySecretIsShownWhenCreatedOrRotatedAndOtherwiseOnlyByAnAuditedReveal() async throws {
        try await TestApplication.runWithTenant { client in
            let boss = try await APISession.signIn(client, email: "boss@acme.example")
            let created = try await boss.post("/api/v1/widgets", Self.valid).json()
            let id = try #require(created["id"] as? String)
            let secret = try #require(created["identitySecret"] as? String)

            let read = try await boss.get("/api/v1/widgets/\(id)")
            #expect(read.status == .ok)
            #expect(try read.json()["identitySecret"] == nil)
            #expect(try read.json()["publicKey"] as? String == created["publicKey"] as? String)
            let list = try await boss.get("/api/v1/widgets")
            #expect(!list.text.contains(secret) && !list.text.contains("identitySecret"))
            let renamed = try await boss.patch("/api/v1/widgets/\(id)", ["name": "Renamed"])
            #expect(try renamed.json()["identitySecret"] == nil)

            let revealed = try await boss.post("/api/v1/widgets/\(id)/reveal-identity-secret")
            #expect(revealed.status == .ok)
            #expect(try revealed.json()["identitySecret"] as? String == secret)
            let entries = try await boss.get("/api/v1/audit?action=widget.identity_secret_revealed").json()["items"] as? [[String: Any]] ?? []
            #expect(entries.count == 1)
            #expect((entries.first?["target"] as? [String: Any])?["id"] as? String == id.lowercased())
            #expect(!(try await boss.get("/api/v1/audit").text.contains(secret)))

            let rotated = try await boss.patch("/api/v1/widgets/\(id)", ["rotateIdentitySecret": true])
            let newSecret = try #require(try rotated.json()["identitySecret"] as? String)
            #expect(newSecret != secret)
            #expect(try await boss.post("/api/v1/widgets/\(id)/reveal-identity-secret").json()["identitySecret"] as? String == newSecret)
        }
    }
}
