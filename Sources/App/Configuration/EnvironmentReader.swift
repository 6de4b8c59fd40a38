/// Typed reads of `KEFU_*` variables. Every read either returns a valid value (or the default)
/// or throws a `ConfigurationError` that names the variable and what it expects.
struct EnvironmentReader {
    let values: [String: String]

    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>, expected: String? = nil) throws -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError(variable: name, value: text, expected: expected ?? "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func boolean(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = string(name) else { return fallback }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, value: text, expected: "true or false")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws -> T where T.RawValue == String {
        guard let text = string(name) else { return fallback }
        guard let value = T(rawValue: text.lowercased()) else {
            throw ConfigurationError(variable: name, value: text, expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }
}
