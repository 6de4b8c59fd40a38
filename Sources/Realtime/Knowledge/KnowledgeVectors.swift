import Foundation
import Synchronization

/// Each tenant's knowledge vectors in memory, for the nearest-chunk search: one contiguous array
/// of float16 per tenant (as stored), loaded when the tenant's knowledge generation or embedding
/// model moves, bounded in bytes with the least recently used tenant evicted first.
public final class KnowledgeVectors: Sendable {
    /// A chunk: its document and its place in it.
    public struct ChunkKey: Hashable, Sendable {
        public let documentID: UUID
        public let ordinal: Int
    }

    /// One tenant's vectors, unit length (a dot product is their cosine), row by row, each value
    /// the bits of a float16 as stored.
    public final class Table: Sendable {
        let source: String
        let generation: Int64
        let dimensions: Int
        let keys: [ChunkKey]
        let values: [UInt16]

        init(source: String, generation: Int64, dimensions: Int, keys: [ChunkKey], values: [UInt16]) {
            self.source = source
            self.generation = generation
            self.dimensions = dimensions
            self.keys = keys
            self.values = values
        }

        var bytes: Int { values.count * 2 + keys.count * 24 }

        /// The `limit` rows most similar to `query` that reach `floor`, most similar first. CPU
        /// work in proportion to the table: call it off the event loops and the cooperative pool.
        func nearest(_ query: [Float], limit: Int, floor: Double) -> [(key: ChunkKey, similarity: Double)] {
            guard query.count == dimensions, dimensions > 0, limit > 0 else { return [] }
            let unit = KnowledgeVectors.normalized(query)
            var best: [(row: Int, similarity: Float)] = []
            best.reserveCapacity(limit + 1)
            let minimum = Float(floor)
            values.withUnsafeBufferPointer { values in
                unit.withUnsafeBufferPointer { query in
                    KnowledgeVectors.halfToFloat.withUnsafeBufferPointer { half in
                        for row in 0..<keys.count {
                            let start = row * dimensions
                            var sum: Float = 0
                            for index in 0..<dimensions { sum += half[Int(values[start + index])] * query[index] }
                            guard sum >= minimum, best.count < limit || sum > best[best.count - 1].similarity else { continue }
                            let at = best.firstIndex { $0.similarity < sum } ?? best.count
                            best.insert((row, sum), at: at)
                            if best.count > limit { best.removeLast() }
                        }
                    }
                }
            }
            return best.map { (keys[$0.row], Double($0.similarity)) }
        }
    }

    private struct Cached {
        var table: Table
        var lastUsed: UInt64
    }

    private let tables = Mutex<(entries: [UUID: Cached], clock: UInt64)>(([:], 0))
    /// The most the tables may hold together.
    public let maximumBytes: Int

    public init(maximumBytes: Int = 512 << 20) {
        self.maximumBytes = maximumBytes
    }

    /// The tenant's table when it is the current one for `source` and `generation`.
    func table(tenantID: UUID, source: String, generation: Int64) -> Table? {
        tables.withLock { state in
            guard let cached = state.entries[tenantID], cached.table.source == source, cached.table.generation == generation else { return nil }
            state.clock += 1
            state.entries[tenantID]?.lastUsed = state.clock
            return cached.table
        }
    }

    /// Keeps `table` as the tenant's, evicting the least recently used others beyond the bound.
    func keep(_ table: Table, tenantID: UUID) {
        tables.withLock { state in
            state.clock += 1
            state.entries[tenantID] = Cached(table: table, lastUsed: state.clock)
            var total = state.entries.values.reduce(0) { $0 + $1.table.bytes }
            while total > maximumBytes, state.entries.count > 1,
                  let idlest = state.entries.filter({ $0.key != tenantID }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                total -= idlest.value.table.bytes
                state.entries[idlest.key] = nil
            }
        }
    }

    /// What the tables hold now, in bytes (for `/metrics`).
    public var bytes: Int {
        tables.withLock { $0.entries.values.reduce(0) { $0 + $1.table.bytes } }
    }

    /// Every float16 bit pattern's value. Without F16C in the baseline x86-64 target, each
    /// `Float(Float16)` is a call into the runtime (about 20 ns): a table lookup is ten times faster
    /// and keeps the tables half the size of `Float`s.
    static let halfToFloat: [Float] = (0...UInt16.max).map { Float(Float16(bitPattern: $0)) }

    static func normalized(_ vector: [Float]) -> [Float] {
        let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return length > 0 ? vector.map { $0 / length } : vector
    }

    /// A vector as stored: unit length, float16, little-endian.
    static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 2)
        for value in normalized(vector) {
            let bits = Float16(value).bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        }
        return bytes
    }

    /// Appends a stored vector's values to `values`; false when its length is not `dimensions`.
    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, dimensions: Int, into values: inout [UInt16]) -> Bool {
        guard bytes.count == dimensions * 2 else { return false }
        var iterator = bytes.makeIterator()
        while let low = iterator.next(), let high = iterator.next() {
            values.append(UInt16(low) | UInt16(high) << 8)
        }
        return true
    }
}
