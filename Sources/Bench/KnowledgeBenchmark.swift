import ArgumentParser
import Foundation

/// Retrieval from the tenant's knowledge on plain PostgreSQL: documents are added over the API
/// until the tenant holds `--chunks` chunks (half Chinese, half English sections), then
/// `GET /api/v1/knowledge/search` is timed for Chinese and English questions, one connection,
/// back to back — what the bot pays before asking its provider. (`kefu-bench bot` measures it
/// with embeddings too.)
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
        let (host, port) = try hostAndPort(url)
        let setup = try BenchSetup.prepare(host: host, port: port, tenant: tenant, email: email, password: password)
        let connection = try HTTPConnection(host: host, port: port)
        var corpus = KnowledgeCorpus()
        let took = try corpus.index(chunks: chunks, connection: connection, token: setup.token)
        print(String(format: "indexed %d chunks in %.1f s", (chunks + 99) / 100 * 100, took.seconds))
        try corpus.timeSearches(searches, connection: connection, token: setup.token, label: "(full text)")
    }
}
