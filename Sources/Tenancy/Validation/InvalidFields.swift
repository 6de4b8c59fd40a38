/// A request's fields break the rules of what they set: each entry names a field (as the client
/// wrote it, a JSON path such as `businessHours.weekly[0].day`) and says what is expected.
/// Nothing is changed when one is thrown. App answers it as 422 `validation-failed` with one
/// `errors` entry per field.
///
/// It lives in Tenancy, the module every other one builds on, so Auth and Realtime check their
/// own fields without depending on each other's errors. Named so it never shadows
/// ArgumentParser's `ValidationError` in the CLI commands, which import both.
public struct InvalidFields: Error, Sendable, Equatable, CustomStringConvertible {
    /// One invalid field and what it should be.
    public struct Field: Sendable, Equatable {
        public let name: String
        public let message: String

        public init(_ name: String, _ message: String) {
            self.name = name
            self.message = message
        }
    }

    /// At least one field, in the order they were checked.
    public let fields: [Field]

    public init(field: String, message: String) {
        self.fields = [Field(field, message)]
    }

    public init(_ fields: [Field]) {
        precondition(!fields.isEmpty, "InvalidFields needs at least one field")
        self.fields = fields
    }

    /// Whether `name` is one of the invalid fields.
    public func contains(field name: String) -> Bool {
        fields.contains { $0.name == name }
    }

    public var description: String {
        fields.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
    }
}
