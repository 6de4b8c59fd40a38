import ArgumentParser
import Foundation

/// Retrieval from the tenant's knowledge on plain PostgreSQL: documents are added over the API
/// until the tenant holds `--chunks` chunks (half Chinese, half English sections), then
/// `GET /api/v1/knowledge/search` is timed for Chinese and English questions, one connection,
/// back to back — what the bot pays before asking its provider.
struct KnowledgeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knowledge", abstract: "Knowledge search latency at a number of chunks (Chinese and English questions).")

    @Option(help: "The server, as http://IPv4:port.") var url = "http://127.0.0.1:8080"
    @Option var tenant = "demo"
    @Option var email = "owner@demo.kefu.local"
    @Option var password: String
    @Option(help: "Chunks to index (documents of 100 sections each).") var chunks = 10_000
    @Option(help: "Searches per language.") var searches = 300

    func run() throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        let setup = try BenchSetup.prepare(host: host, port: port, tenant: tenant, email: email, password: password)
        let connection = try HTTPConnection(host: host, port: port)
        var random = SystemRandomNumberGenerator()
        let vocabulary = (0..<3_000).map { _ in
            String((0..<Int.random(in: 3...9, using: &random)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &random))) })
        }
        func chinese(_ count: Int) -> String {
            String(String.UnicodeScalarView((0..<count).map { _ in Unicode.Scalar(UInt32.random(in: 0x4E00...0x62FF, using: &random))! }))
        }
        func english(_ count: Int) -> String {
            (0..<count).map { _ in vocabulary.randomElement(using: &random)! }.joined(separator: " ")
        }
        let started = ContinuousClock.now
        let documents = (chunks + 99) / 100
        for document in 0..<documents {
            var body = ""
            for section in 0..<100 {
                body += section.isMultiple(of: 2)
                    ? "# 第\(section)节 \(chinese(4))\n\n\(chinese(120))。\(chinese(80))。\n\n"
                    : "# Section \(section) \(english(3))\n\n\(english(60)). \(english(40)).\n\n"
            }
            let json = try JSONSerialization.data(withJSONObject: ["title": "Manual \(document)", "format": "markdown", "body": body])
            let answer = try connection.request("POST", "/api/v1/knowledge/documents", json: Array(json), bearer: setup.token)
            guard answer.status == 201 else {
                throw ValidationError("adding a document answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            }
        }
        print(String(format: "indexed %d chunks in %d documents in %.1f s", documents * 100, documents, (ContinuousClock.now - started).seconds))
        for (label, question) in [("Chinese", { chinese(12) }), ("English", { english(6) })] as [(String, () -> String)] {
            var sample = LatencySample()
            for _ in 0..<searches {
                let query = question().addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
                let start = ContinuousClock.now
                let answer = try connection.request("GET", "/api/v1/knowledge/search?q=\(query)", bearer: setup.token)
                guard answer.status == 200 else { throw ValidationError("search answered \(answer.status)") }
                sample.record(ContinuousClock.now - start)
            }
            print(sample.summary("search, \(label) question"))
        }
    }
}
