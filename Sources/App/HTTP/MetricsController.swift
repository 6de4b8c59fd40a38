import Admin
import Hummingbird
import Realtime
import Tenancy

/// `GET /metrics`: Prometheus text exposition of this node's metrics.
struct MetricsController: Sendable {
    let metrics: ServerMetrics
    let database: Database
    let writer: MessageWriter
    let words: WordMatchers
    let vectors: KnowledgeVectors

    func addRoutes(to router: Router<KefuRequestContext>) {
        router.get("metrics") { _, _ in
            let text = await metrics.render(database: database, writer: writer, words: words, vectors: vectors)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
