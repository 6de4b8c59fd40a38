import Foundation

/// What a realtime scenario needs on the server: an owner's token and a widget open to any page.
struct BenchSetup {
    let token: String
    let widgetKey: String

    static func prepare(host: String, port: Int, tenant: String, email: String, password: String) throws -> BenchSetup {
        let connection = try HTTPConnection(host: host, port: port)
        let login = try connection.request("POST", "/api/v1/auth/login",
                                           json: Array(try JSONSerialization.data(withJSONObject: ["tenant": tenant, "email": email, "password": password])))
        guard login.status == 200, let token = (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["token"] as? String else {
            throw HTTPConnection.Failure(description: "login failed with \(login.status)")
        }
        let body = try JSONSerialization.data(withJSONObject: ["name": "Bench", "allowedOrigins": ["*"]])
        let widget = try connection.request("POST", "/api/v1/widgets", json: Array(body), bearer: token)
        guard widget.status == 201, let key = (try JSONSerialization.jsonObject(with: Data(widget.body)) as? [String: Any])?["publicKey"] as? String else {
            throw HTTPConnection.Failure(description: "widget creation failed with \(widget.status): \(String(decoding: widget.body, as: UTF8.self))")
        }
        return BenchSetup(token: token, widgetKey: key)
    }
}
