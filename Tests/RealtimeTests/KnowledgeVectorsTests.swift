import Foundation
import NIOCore
import Testing
@testable import Realtime

/// Stored vectors (unit length, float16) and the nearest-chunk search over a tenant's table.
struct KnowledgeVectorsTests {
    static func key(_ ordinal: Int) -> KnowledgeVectors.ChunkKey {
        .init(documentID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, ordinal: ordinal)
    }

    static func table(_ rows: [[Float]], generation: Int64 = 1) -> KnowledgeVectors.Table {
        var values: [UInt16] = []
        for row in rows { #expect(KnowledgeVectors.decode(KnowledgeVectors.encode(row), dimensions: row.count, into: &values)) }
        return .init(source: "p/m", generation: generation, dimensions: rows.first?.count ?? 0, keys: rows.indices.map(key), values: values)
    }

    @Test func storedVectorsAreUnitLengthHalfPrecision() {
        let bytes = KnowledgeVectors.encode([3, 4])
        #expect(bytes.count == 4)
        var values: [UInt16] = []
        #expect(KnowledgeVectors.decode(bytes, dimensions: 2, into: &values))
        #expect(abs(KnowledgeVectors.halfToFloat[Int(values[0])] - 0.6) < 0.001 && abs(KnowledgeVectors.halfToFloat[Int(values[1])] - 0.8) < 0.001)
        #expect(!KnowledgeVectors.decode(bytes, dimensions: 3, into: &values), "a vector of another length is refused")
        #expect(values.count == 2)
    }

    @Test func theNearestRowsComeFirstAndThoseBelowTheFloorNotAtAll() {
        let table = Self.table([[1, 0, 0], [0.7, 0.7, 0], [0, 0, 1], [0.9, 0.1, 0]])
        let nearest = table.nearest([2, 0, 0], limit: 3, floor: 0.5)
        #expect(nearest.map(\.key) == [Self.key(0), Self.key(3), Self.key(1)])
        #expect(abs(nearest[0].similarity - 1) < 0.01)
        #expect(table.nearest([2, 0, 0], limit: 1, floor: 0.5).map(\.key) == [Self.key(0)])
        #expect(table.nearest([0, 1, 0], limit: 5, floor: 0.9).isEmpty)
        #expect(table.nearest([1, 0], limit: 5, floor: 0).isEmpty, "a question from another model's length finds nothing")
    }

    @Test func tablesAreKeptByGenerationAndTheIdlestEvictedFirst() {
        let one = Self.table([[1, 0]]), bytes = one.bytes
        let vectors = KnowledgeVectors(maximumBytes: bytes * 2)
        let (a, b, c) = (UUID(), UUID(), UUID())
        vectors.keep(one, tenantID: a)
        vectors.keep(Self.table([[1, 0]]), tenantID: b)
        #expect(vectors.table(tenantID: a, source: "p/m", generation: 1) != nil)
        #expect(vectors.table(tenantID: a, source: "p/m", generation: 2) == nil, "a newer generation is loaded again")
        #expect(vectors.table(tenantID: a, source: "other/m", generation: 1) == nil, "another model's vectors are not used")
        vectors.keep(Self.table([[1, 0]]), tenantID: c)
        #expect(vectors.table(tenantID: b, source: "p/m", generation: 1) == nil, "b was used least recently")
        #expect(vectors.table(tenantID: a, source: "p/m", generation: 1) != nil)
        #expect(vectors.bytes == bytes * 2)
    }

    @Test func anEmbeddingsAnswerIsReadInIndexOrder() {
        let body = ByteBuffer(string: #"{"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}]}"#)
        #expect(ProviderWire.embeddings(body, count: 2) == [[1, 0], [0, 1]])
        #expect(ProviderWire.embeddings(body, count: 3) == nil)
        #expect(ProviderWire.embeddings(ByteBuffer(string: #"{"data":[{"embedding":[1]},{"embedding":[1,2]}]}"#), count: 2) == nil,
                "vectors of different lengths")
    }
}
