import Foundation

/// UUIDs as text without Foundation's `uuidString`, which formats through `sprintf` and showed
/// up in profiles of the message path (four UUIDs per delivered message).
extension UUID {
    /// The same text as `uuidString` (upper case, as the JSON encoder writes it).
    public var uppercased: String { text(digits: Self.upperDigits) }

    /// Lower case, as PostgreSQL prints it: audit entries, NOTIFY payloads, SQL text arrays.
    public var lowercased: String { text(digits: Self.lowerDigits) }

    private static let upperDigits = Array("0123456789ABCDEF".utf8)
    private static let lowerDigits = Array("0123456789abcdef".utf8)

    private func text(digits: [UInt8]) -> String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = digits[Int(byte >> 4)]
                    out[position + 1] = digits[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }
}
