import Foundation
import HTTPTypes
import Testing
import TestSupport

/// What the bot tells its provider about the visitor (only the profile fields the widget lists), and
/// what a bot-first widget promises visitors (the bot only when a provider exists).
@Suite(.serialized) struct BotContextLiveTests {
    static func systemPrompt(_ llm: FakeLLMServer) -> String {
        (llm.requests.last { $0.path.hasSuffix("/chat/completions") }?.body["messages"] as? [[String: any Sendable]])?.first?["content"] as? String ?? ""
    }

    @Test func aBotFirstWidgetWithoutAProviderDoesNotPromiseTheBot() async throws {
        try await RealtimeHarness.with { harness in
            let boss = try await harness.token(email: "boss@acme.example")
            let widgets = try await harness.request(.get, "/api/v1/widgets", token: boss)
            let widgetID = try #require((widgets.json["items"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["bot": ["enabled": true]], token: boss)
            let config = try await harness.request(.get, "/api/v1/widget/config?key=\(harness.acmeWidgetKey)", token: nil)
            #expect(config.json["bot"] as? Bool == false, "no provider answers, so the offline form stays: \(config.text)")
            let (visitor, welcome) = try await harness.visitorHello()
            #expect((welcome["widget"] as? [String: Any])?["bot"] as? Bool == false)
            await visitor.close()

            let created = try await harness.request(.post, "/api/v1/llm/providers", ["name": "Later", "kind": "openai-compatible",
                                                                                   "baseUrl": "http://127.0.0.1:9/v1", "model": "m", "isDefault": true], token: boss)
            let ready = try await harness.request(.get, "/api/v1/widget/config?key=\(harness.acmeWidgetKey)", token: nil)
            #expect(ready.json["bot"] as? Bool == true, "\(ready.text)")
            let (again, welcomed) = try await harness.visitorHello()
            #expect((welcomed["widget"] as? [String: Any])?["bot"] as? Bool == true, "welcomes remember no answer across a change")
            await again.close()

            let providerID = try #require(created.json["id"] as? String)
            _ = try await harness.request(.delete, "/api/v1/llm/providers/\(providerID)", token: boss)
            let (later, gone) = try await harness.visitorHello()
            #expect((gone["widget"] as? [String: Any])?["bot"] as? Bool == false, "nor across a removal")
            await later.close()
        }
    }

    @Test func theProviderSeesOnlyTheProfileFieldsTheWidgetAllows() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm)
                let profile: [String: any Sendable] = ["name": "王芳", "email": "wang@example.com", "phone": "13800000000",
                                                       "attributes": ["plan": "gold", "orders": 12, "secret": "do-not-share"] as [String: any Sendable]]
                let (unlisted, _) = try await harness.visitorHello(["profile": profile])
                try await unlisted.send(["type": "send", "clientId": "v-1", "text": "hi"])
                _ = try await unlisted.nextMessage(from: "bot")
                let bare = Self.systemPrompt(llm)
                #expect(!bare.contains("王芳") && !bare.contains("About the visitor"), "nothing unless the widget lists it: \(bare)")
                await unlisted.close()

                let widgets = try await harness.request(.get, "/api/v1/widgets", token: boss)
                let widgetID = try #require((widgets.json["items"] as? [[String: Any]])?.first?["id"] as? String)
                let listed = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)",
                                                       ["bot": ["visitorFields": ["name", "attributes.plan", "attributes.orders", "attributes.missing"]]], token: boss)
                #expect((listed.json["bot"] as? [String: Any])?["visitorFields"] as? [String] == ["name", "attributes.plan", "attributes.orders", "attributes.missing"],
                        "\(listed.text)")
                let (visitor, _) = try await harness.visitorHello(["profile": profile])
                try await visitor.send(["type": "send", "clientId": "v-2", "text": "hi again"])
                _ = try await visitor.nextMessage(from: "bot")
                let prompt = Self.systemPrompt(llm)
                #expect(prompt.contains("- name: 王芳\n- plan: gold\n- orders: 12"), "\(prompt)")
                #expect(!prompt.contains("wang@example.com") && !prompt.contains("13800000000") && !prompt.contains("do-not-share") && !prompt.contains("missing"))
                await visitor.close()

                let invalid = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["bot": ["visitorFields": ["password"]]], token: boss)
                #expect(invalid.status.code == 422 && invalid.text.contains("bot.visitorFields[0]"), "\(invalid.text)")
            }
        }
    }

    @Test func aWidgetAnswersWithItsOwnProviderAndOutsideItsHoursAsItIsSet() async throws {
        try await FakeLLMServer.with { llm in
            try await RealtimeHarness.with { harness in
                let (boss, _) = try await BotLiveTests.setUp(harness, llm)
                let own = try await harness.request(.post, "/api/v1/llm/providers", [
                    "name": "Shop bot", "kind": "openai-compatible", "baseUrl": llm.openAIBase, "model": "healthy", "apiKey": BotLiveTests.key,
                ], token: boss)
                let ownID = try #require(own.json["id"] as? String)
                let widgets = try await harness.request(.get, "/api/v1/widgets", token: boss)
                let widgetID = try #require((widgets.json["items"] as? [[String: Any]])?.first?["id"] as? String)
                _ = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["bot": ["providerId": ownID]], token: boss)

                // The widget's own provider answers, not the tenant's default (which fails this one).
                let (visitor, _) = try await harness.visitorHello()
                try await visitor.send(["type": "send", "clientId": "v-1", "text": "[500] [say:The shop's own bot.] hi"])
                #expect(try await visitor.nextMessage(from: "bot")["text"] as? String == "The shop's own bot.")
                let models = llm.requests.filter { $0.path.hasSuffix("/chat/completions") }.compactMap { $0.body["model"] as? String }
                #expect(models == ["healthy"], "\(models)")
                await visitor.close()

                // Hours that are not now (two days from today): "offline" leaves new conversations to people…
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                let isoToday = (calendar.component(.weekday, from: Date()) + 5) % 7 + 1
                let hours: [String: Any] = ["timeZone": "UTC", "weekly": [["day": (isoToday + 1) % 7 + 1, "open": "09:00", "close": "18:00"]]]
                _ = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["businessHours": hours, "bot": ["outsideHours": "offline"]], token: boss)
                let (away, welcome) = try await harness.visitorHello()
                #expect((welcome["widget"] as? [String: Any])?["bot"] as? Bool == false, "\(welcome)")
                try await away.send(["type": "send", "clientId": "v-1", "text": "有人吗"])
                let conversationID = try #require(try await away.next("ack")["conversationId"] as? String)
                #expect(try await harness.sql("SELECT status FROM conversations WHERE id = '\(conversationID)'") != [["bot"]])
                await away.close()

                // …and "answer" keeps the bot on at any hour.
                _ = try await harness.request(.patch, "/api/v1/widgets/\(widgetID)", ["bot": ["outsideHours": "answer"]], token: boss)
                let (late, lateWelcome) = try await harness.visitorHello()
                #expect((lateWelcome["widget"] as? [String: Any])?["bot"] as? Bool == true, "\(lateWelcome)")
                try await late.send(["type": "send", "clientId": "v-1", "text": "[say:Still here.] 有人吗"])
                #expect(try await late.nextMessage(from: "bot")["text"] as? String == "Still here.")
                await late.close()
            }
        }
    }
}
