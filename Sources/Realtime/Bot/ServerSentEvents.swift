/// Server-sent events read from a byte stream as the HTML standard's "event stream
/// interpretation" says: lines end in CR LF, LF or CR; a line starting with `:` is a comment;
/// `field: value` (one leading space dropped from the value); `data` lines join with LF; a blank
/// line dispatches the event, unless it has no data; a UTF-8 byte order mark at the start is
/// skipped. (mattt/EventSource's parser would do, but its package does not build on Linux:
/// it needs `URLSession.bytes`.)
struct ServerSentEvents {
    struct Event: Equatable, Sendable {
        var type: String = "message"
        var data: String
        var id: String?
    }

    static let maximumLine = 1 << 20
    private var line: [UInt8] = []
    private var afterCR = false
    /// Whether a line has ended yet: a byte order mark is dropped from the first one only.
    private var firstLineDone = false
    private var data: [String] = []
    private var type = ""
    private var id: String?
    private var lastID: String?

    /// Reads `bytes`, calling `dispatch` for every event completed by them.
    mutating func read(_ bytes: some Sequence<UInt8>, _ dispatch: (Event) throws -> Void) rethrows {
        for byte in bytes {
            switch byte {
            case 0x0A where afterCR:
                afterCR = false
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                try endLine(dispatch)
            default:
                afterCR = false
                // A line longer than a megabyte is no provider's event: cut, so memory stays bounded.
                if line.count < Self.maximumLine { line.append(byte) }
            }
        }
    }

    /// The stream ended: an event not yet dispatched by a blank line is dropped, as the
    /// standard says.
    mutating func finish() {
        line.removeAll()
        data.removeAll()
        type = ""
    }

    private mutating func endLine(_ dispatch: (Event) throws -> Void) rethrows {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if !firstLineDone, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        firstLineDone = true
        if bytes.isEmpty {
            defer {
                data.removeAll()
                type = ""
            }
            guard !data.isEmpty else { return }
            lastID = id ?? lastID
            try dispatch(Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"), id: lastID))
            return
        }
        if bytes.first == UInt8(ascii: ":") { return }
        let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
        let field = String(decoding: bytes[..<(colon ?? bytes.endIndex)], as: UTF8.self)
        var value = colon.map { bytes[($0 + 1)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        let text = String(decoding: value, as: UTF8.self)
        switch field {
        case "data": data.append(text)
        case "event": type = text
        case "id" where !text.contains("\0"): id = text
        default: break  // `retry` and unknown fields: nothing for a single request
        }
    }
}
