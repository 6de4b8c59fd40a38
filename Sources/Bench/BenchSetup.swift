import Foundation
import Tenancy

/// What a realtime scenario needs on the server: an owner's token and a widget open to any page.
struct BenchSetup {
    let token: String
    let widgetKey: String
    let widgetID: String

    static func prepare(host: String, port: Int, tenant: String, email: String, password: String) throws -> BenchSetup {
        let connection = try HTTPConnection(host: host, port: port)
        let login = try connection.request("POST", "/api/v1/auth/login",
                                           json: Array(try JSONSerialization.data(withJSONObject: ["tenant": tenant, "email": email, "password": password])))
        guard login.status == 200, let token = (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["token"] as? String else {
            throw HTTPConnection.Failure(description: "login failed with \(login.status)")
        }
        let body = try JSONSerialization.data(withJSONObject: ["name": "Bench", "allowedOrigins": ["*"]])
        let widget = try connection.request("POST", "/api/v1/widgets", json: Array(body), bearer: token)
        let created = (try? JSONSerialization.jsonObject(with: Data(widget.body))) as? [String: Any]
        guard widget.status == 201, let key = created?["publicKey"] as? String, let id = created?["id"] as? String else {
            throw HTTPConnection.Failure(description: "widget creation failed with \(widget.status): \(String(decoding: widget.body, as: UTF8.self))")
        }
        return BenchSetup(token: token, widgetKey: key, widgetID: id)
    }

    /// Imports `count` random sensitive-word rules (as `kefu-bench words` makes them: half Chinese,
    /// half English, none found in the scenario's messages) as one text list; returns how long
    /// the import took, the server's rebuild of the tenant's matcher included.
    func importWordRules(_ count: Int, host: String, port: Int) throws -> Duration {
        var random = SystemRandomNumberGenerator()
        let list = WordsBenchmark.rules(count, using: &random).map { $0.pattern + "\n" }.joined()
        let connection = try HTTPConnection(host: host, port: port)
        let started = ContinuousClock.now
        let answer = try connection.request("POST", "/api/v1/words/import?action=mask&skipInvalid=true", json: Array(list.utf8), bearer: token,
                                            contentType: "text/plain; charset=utf-8")
        let elapsed = ContinuousClock.now - started
        guard answer.status == 200 else {
            throw HTTPConnection.Failure(description: "word import failed with \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
        return elapsed
    }
}
