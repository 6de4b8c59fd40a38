/// An environment variable with a value Kefu cannot use; startup stops with this one line.
struct ConfigurationError: Error, CustomStringConvertible {
    let variable: String
    let value: String
    let expected: String

    var description: String {
        "invalid \(variable)=\"\(value)\": expected \(expected)"
    }
}
