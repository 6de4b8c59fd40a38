import Foundation

/// What an uploaded file really is, judged by its bytes, never by its name or the type the
/// uploader declared. Only these kinds are accepted; HTML, SVG and scripts never are, so
/// nothing uploaded can run in a browser.
public enum SniffedType: String, Sendable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case gif = "image/gif"
    case webp = "image/webp"
    case pdf = "application/pdf"
    case zip = "application/zip"
    case text = "text/plain; charset=utf-8"

    /// Images are shown inline; everything else downloads.
    public var isImage: Bool {
        switch self {
        case .png, .jpeg, .gif, .webp: true
        default: false
        }
    }

    public static func sniff(_ bytes: [UInt8]) -> SniffedType? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        return isPlainText(bytes) ? .text : nil
    }

    /// Valid UTF-8 without control characters (other than tab and line breaks), and nothing a
    /// browser could take for markup at the start.
    static func isPlainText(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, String(validating: bytes, as: UTF8.self) != nil else { return false }
        if bytes.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) { return false }
        let head = String(decoding: bytes.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return !(head.hasPrefix("<") || head.contains("<script") || head.contains("<svg") || head.contains("<html"))
    }
}
