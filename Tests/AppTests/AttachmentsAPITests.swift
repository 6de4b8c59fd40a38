import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

/// Files in conversations, end to end: upload, sniffing, limits, links, CORS for the widget.
@Suite(.serialized) struct AttachmentsAPITests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)

    func post(_ node: KefuProcess, _ path: String, bytes: [UInt8], headers: HTTPFields) async throws -> RealtimeHarness.Reply {
        let request = TestClient.Request(path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
        let response = try await TestClient.withClient(host: "127.0.0.1", port: node.port) { try await $0.execute(request) }
        let text = response.body.map { String(buffer: $0) } ?? ""
        return .init(status: response.status, json: (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:], text: text)
    }

    @Test func agentsAndVisitorsShareFilesThatAreSniffedLimitedAndServedSafely() async throws {
        try await RealtimeHarness.with(environment: ["KEFU_MAX_UPLOAD_BYTES": "4096"]) { harness in
            let node = harness.nodes[0]
            let owner = try await harness.token(email: "boss@acme.example")
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "hi", "text": "here is my receipt"])
            // An anonymous visitor's token arrives with their first send.
            let visitorToken = try #require(try await visitor.next("visitor")["token"] as? String)
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String).lowercased()
            let agent2 = try await harness.sql("SELECT id::text FROM users WHERE email = 'agent2@acme.example'")[0][0] ?? ""
            _ = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/assign", ["agentId": agent2], token: owner)
            let agentToken = try await harness.token(email: "agent2@acme.example")
            let bearer: HTTPFields = [.authorization: "Bearer \(agentToken)", .contentType: "application/octet-stream"]

            // An agent's image: stored, announced to the visitor, served inline with nosniff.
            let uploaded = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=..%2Fphoto.png&clientId=f1", bytes: Self.png, headers: bearer)
            #expect(uploaded.status == .created, "\(uploaded.text)")
            #expect(uploaded.json["kind"] as? String == "attachment")
            let message = try await visitor.nextMessage(from: "agent")
            let description = try #require(try JSONSerialization.jsonObject(with: Data((message["text"] as? String ?? "").utf8)) as? [String: Any])
            #expect(description["name"] as? String == "photo.png")
            #expect(description["contentType"] as? String == "image/png")
            let url = try #require(description["url"] as? String)
            let file = try await TestClient.withClient(host: "127.0.0.1", port: node.port) { try await $0.get(url) }
            #expect(file.status == .ok)
            #expect(file.body.map { Array(buffer: $0) } == Self.png)
            #expect(file.headers[.contentType] == "image/png")
            #expect(file.headers[.contentDisposition] == "inline; filename*=UTF-8''photo.png")
            #expect(file.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let wrongSig = try await TestClient.withClient(host: "127.0.0.1", port: node.port) {
                try await $0.get(url.replacingOccurrences(of: "sig=", with: "sig=AAAA"))
            }
            #expect(wrongSig.status == .notFound)
            // A retry (same clientId) gets the same message back, and the file is not stored twice.
            let retried = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=..%2Fphoto.png&clientId=f1", bytes: Self.png, headers: bearer)
            #expect(retried.status == .ok)
            #expect(retried.json["id"] as? String == uploaded.json["id"] as? String)
            #expect(try await harness.sql("SELECT count(*)::text FROM attachments") == [["1"]])

            // HTML calling itself a PNG is refused; so is a file over the limit.
            let html = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=x.png&clientId=f2",
                                      bytes: Array("<html><script>alert(1)</script></html>".utf8), headers: [.authorization: "Bearer \(agentToken)", .contentType: "image/png"])
            #expect(html.status == .unsupportedMediaType)
            let huge = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=big.png&clientId=f3",
                                      bytes: Self.png + Array(repeating: 1, count: 5000), headers: bearer)
            #expect(huge.status.code == 413)
            #expect(try await harness.sql("SELECT count(*)::text FROM attachments") == [["1"]])

            // A text file is a download, not a page.
            let text = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=notes.txt&clientId=f4",
                                      bytes: Array("order 42: shipped".utf8), headers: bearer)
            #expect(text.status == .created)

            // The visitor uploads from the site's page: CORS for the widget's origin only.
            let path = "/api/v1/widget/attachments?key=\(harness.acmeWidgetKey)&name=receipt.pdf&clientId=v1"
            let pdf = Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n".utf8)
            let preflight = try await TestClient.withClient(host: "127.0.0.1", port: node.port) {
                try await $0.execute(.init(path, method: .options, headers: [.origin: RealtimeHarness.origin]))
            }
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == RealtimeHarness.origin)
            let fromVisitor = try await post(node, path, bytes: pdf, headers: [
                .origin: RealtimeHarness.origin, HTTPField.Name("X-Kefu-Visitor")!: visitorToken, .contentType: "application/pdf"])
            #expect(fromVisitor.status == .created, "\(fromVisitor.text)")
            #expect(fromVisitor.json["senderType"] as? String == "visitor")
            let elsewhere = try await post(node, path, bytes: pdf, headers: [
                .origin: "https://evil.example", HTTPField.Name("X-Kefu-Visitor")!: visitorToken])
            #expect(elsewhere.status == .forbidden)
            let noToken = try await post(node, path, bytes: pdf, headers: [.origin: RealtimeHarness.origin])
            #expect(noToken.status == .unauthorized)
        }
    }

    /// The download's own headers survive the site-wide security headers: its sandboxing CSP is
    /// stricter than the site's policy, and must not be replaced by it.
    @Test func downloadsKeepTheirSandboxNosniffAndDisposition() async throws {
        try await RealtimeHarness.with { harness in
            let node = harness.nodes[0]
            let (visitor, _) = try await harness.visitorHello()
            try await visitor.send(["type": "send", "clientId": "hi", "text": "files follow"])
            let conversationID = try #require(try await visitor.next("ack")["conversationId"] as? String).lowercased()
            let owner = try await harness.token(email: "boss@acme.example")
            let agent = try await harness.sql("SELECT id::text FROM users WHERE email = 'agent@acme.example'")[0][0] ?? ""
            _ = try await harness.request(.post, "/api/v1/conversations/\(conversationID)/assign", ["agentId": agent], token: owner)
            let bearer: HTTPFields = [.authorization: "Bearer \(try await harness.token(email: "agent@acme.example"))",
                                      .contentType: "application/octet-stream"]
            let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 60)
            let files: [(name: String, bytes: [UInt8], type: String, disposition: String)] = [
                ("photo.png", Self.png, "image/png", "inline; filename*=UTF-8''photo.png"),
                ("receipt.pdf", Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n".utf8), "application/pdf", "attachment; filename*=UTF-8''receipt.pdf"),
                // A name that says nothing of the type: judged by the bytes, and never shown inline.
                ("mystery.xyz", zip, "application/zip", "attachment; filename*=UTF-8''mystery.xyz"),
            ]
            for (index, file) in files.enumerated() {
                let uploaded = try await post(node, "/api/v1/conversations/\(conversationID)/attachments?name=\(file.name)&clientId=d\(index)",
                                              bytes: file.bytes, headers: bearer)
                #expect(uploaded.status == .created, "\(uploaded.text)")
                let description = try #require(try JSONSerialization.jsonObject(with: Data((uploaded.json["text"] as? String ?? "").utf8)) as? [String: Any])
                let url = try #require(description["url"] as? String)
                let download = try await TestClient.withClient(host: "127.0.0.1", port: node.port) { try await $0.get(url) }
                #expect(download.status == .ok)
                #expect(download.body.map { Array(buffer: $0) } == file.bytes)
                #expect(download.headers[.contentType] == file.type, "\(file.name)")
                #expect(download.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox", "\(file.name)")
                #expect(download.headers[.xContentTypeOptions] == "nosniff", "\(file.name)")
                #expect(download.headers[.contentDisposition] == file.disposition, "\(file.name)")
                // The site's other defaults still apply.
                #expect(download.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(file.name)")
            }
        }
    }
}
