import PostgresNIO

/// A piece of SQL that carries its own values, for queries assembled from parts (a list's filter
/// handed to the keyset-page helper). Interpolating it into a `PostgresQuery` appends its text and
/// binds its values there, so composed queries keep every value a bind parameter.
public struct SQLFragment: Sendable, ExpressibleByStringInterpolation {
    fileprivate typealias Part = @Sendable (inout PostgresQuery.StringInterpolation) -> Void
    fileprivate let parts: [Part]

    public init(stringLiteral value: String) {
        parts = [{ $0.appendLiteral(value) }]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append { $0.appendLiteral(literal) }
        }

        public mutating func appendInterpolation<Value: PostgresDynamicTypeEncodable & Sendable>(_ value: Value) {
            parts.append { $0.appendInterpolation(value) }
        }

        public mutating func appendInterpolation<Value: PostgresDynamicTypeEncodable & Sendable>(_ value: Value?) {
            parts.append { $0.appendInterpolation(value) }
        }

        /// Text spliced as is: only for fixed SQL (column lists, table names), never for values.
        public mutating func appendInterpolation(unescaped text: String) {
            parts.append { $0.appendLiteral(text) }
        }

        public mutating func appendInterpolation(_ condition: KeysetCondition) {
            parts.append { $0.appendInterpolation(condition) }
        }
    }
}

extension PostgresQuery.StringInterpolation {
    /// Appends `fragment`'s text, binding its values as parameters of this query.
    public mutating func appendInterpolation(_ fragment: SQLFragment) {
        for part in fragment.parts { part(&self) }
    }
}
