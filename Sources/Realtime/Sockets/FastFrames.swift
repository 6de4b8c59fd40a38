import Foundation
import Tenancy

/// The two frames sent for every message — `ack` and `message` — and the `error` frame (every
/// send refused under overload gets one), written by hand: they are most of the server's JSON,
/// and this is several times cheaper than a general encoder. The output is byte for byte what
/// `ServerFrame.encoded` produces (sorted keys, unescaped slashes); a test holds them together.
enum FastFrames {
    static func ack(ref: String?, _ result: AppendResult) -> String {
        var out = "{"
        if let clientID = result.message.clientID { out += "\"clientId\":"; appendString(clientID, to: &out); out += "," }
        out += "\"conversationId\":\"\(result.message.conversationID.uppercased)\",\"duplicate\":\(result.duplicate)"
        out += ",\"messageId\":\"\(result.message.id.uppercased)\""
        if let ref { out += ",\"ref\":"; appendString(ref, to: &out) }
        out += ",\"seq\":\(result.message.seq),\"type\":\"ack\"}"
        return out
    }

    static func error(ref: String?, _ error: RealtimeError) -> String {
        var out = "{"
        if let category = error.category { out += "\"category\":"; appendString(category, to: &out); out += "," }
        out += "\"code\":"
        appendString(error.code, to: &out)
        out += ",\"message\":"
        appendString(error.message, to: &out)
        if let ref { out += ",\"ref\":"; appendString(ref, to: &out) }
        if let retryAfter = error.retryAfterMilliseconds { out += ",\"retryAfterMs\":\(retryAfter)" }
        out += ",\"type\":\"error\"}"
        return out
    }

    static func message(_ message: Message) -> String {
        var out = "{\"message\":{"
        if let attachmentID = message.attachmentID { out += "\"attachmentId\":\"\(attachmentID.uppercased)\"," }
        if let clientID = message.clientID { out += "\"clientId\":"; appendString(clientID, to: &out); out += "," }
        out += "\"conversationId\":\"\(message.conversationID.uppercased)\",\"createdAt\":\"\(ServerFrame.timestamp(message.createdAt))\""
        out += ",\"id\":\"\(message.id.uppercased)\",\"kind\":\"\(message.kind.rawValue)\""
        if let senderID = message.senderID { out += ",\"senderId\":\"\(senderID.uppercased)\"" }
        if let senderName = message.senderName { out += ",\"senderName\":"; appendString(senderName, to: &out) }
        out += ",\"senderType\":\"\(message.senderType.rawValue)\",\"seq\":\(message.seq),\"text\":"
        appendString(message.body, to: &out)
        out += "},\"type\":\"message\"}"
        return out
    }

    /// A JSON string literal, escaped as Foundation's encoder does (slashes left alone). Runs
    /// between escapes are copied whole; only `"`, `\` and control characters are rewritten.
    static func appendString(_ text: String, to out: inout String) {
        out.append("\"")
        let utf8 = text.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                out.append(contentsOf: text[runStart..<index])
                out.append(escape(byte))
                runStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out.append(contentsOf: text[runStart..<utf8.endIndex])
        out.append("\"")
    }

    static func escape(_ byte: UInt8) -> String {
        switch byte {
        case 0x22: "\\\""
        case 0x5C: "\\\\"
        case 0x0A: "\\n"
        case 0x0D: "\\r"
        case 0x09: "\\t"
        case 0x08: "\\b"
        case 0x0C: "\\f"
        default: String(format: "\\u%04x", byte)
        }
    }
}
