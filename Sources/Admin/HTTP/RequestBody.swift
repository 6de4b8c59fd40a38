import Foundation
import Hummingbird

/// A JSON request body. Its `CodingKeys` list every accepted field: a field not in the list is
/// refused (422, field named) rather than silently ignored, so a typo never "succeeds".
public protocol APIRequestBody: Decodable, Sendable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// Semantic checks after decoding; throw `APIError.validation`.
    func validate() throws
}

extension APIRequestBody {
    public func validate() throws {}
}

extension Request {
    /// Reads and decodes a JSON body strictly:
    /// 415 unless the content type is JSON, 413 over `limit` bytes, 400 for malformed JSON,
    /// 422 naming the field for unknown fields, missing fields, wrong types and failed validation.
    public func decodeJSON<Body: APIRequestBody>(_ type: Body.Type, limit: Int) async throws -> Body {
        let contentType = headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType, mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw APIError.unsupportedMediaType(contentType)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let data = Data(buffer.readableBytesView)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw APIError.malformedJSON("The body could not be parsed as JSON.")
        }
        guard let fields = object as? [String: Any] else {
            throw APIError.validation(field: "(body)", "expected a JSON object")
        }
        let accepted = Set(Body.CodingKeys.allCases.map(\.stringValue))
        let unknown = fields.keys.filter { !accepted.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw APIError.validation(unknown.map { .init(field: $0, message: "unknown field") })
        }
        let value: Body
        do {
            value = try JSONDecoder.api.decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw APIError.validation([error.fieldError])
        }
        try value.validate()
        return value
    }
}

extension JSONDecoder {
    /// The API's JSON conventions: ISO 8601 dates.
    static var api: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension DecodingError {
    /// The field a decoding error is about, as a dotted path, and what was expected there.
    var fieldError: APIError.FieldError {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? "(body)" : text
        }
        switch self {
        case .typeMismatch(let type, let context):
            return .init(field: path(context.codingPath), message: "expected \(Self.jsonName(of: type))")
        case .valueNotFound(let type, let context):
            return .init(field: path(context.codingPath), message: "expected \(Self.jsonName(of: type)), got null")
        case .keyNotFound(let key, let context):
            return .init(field: path(context.codingPath + [key]), message: "is required")
        case .dataCorrupted(let context):
            return .init(field: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return .init(field: "(body)", message: "invalid")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "a value of type \(type)"
        }
    }
}
