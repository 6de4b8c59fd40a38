import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 keep-alive connection to an IPv4 address, used by one thread at a time.
/// Deliberately minimal: the benchmark measures the server, so the client does little work.
final class HTTPConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Response {
        let status: Int
        let body: [UInt8]
    }

    private let descriptor: Int32
    private let hostHeader: String
    private var pending: [UInt8] = []

    init(host: String, port: Int) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw Failure(description: "\(host) is not an IPv4 address")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "cannot connect to \(host):\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.descriptor = descriptor
        hostHeader = "\(host):\(port)"
    }

    deinit { close(descriptor) }

    /// Sends one request and reads the whole response.
    func request(_ method: String, _ path: String, json body: [UInt8] = [], bearer: String? = nil,
                 contentType: String = "application/json") throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: kefu-bench\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + body)
        return try readResponse()
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { throw Failure(description: "connection closed by the server") }
        pending += chunk[0..<received]
    }

    private func readLine() throws -> String {
        while true {
            if let end = pending.indices.dropLast().first(where: { pending[$0] == 13 && pending[$0 + 1] == 10 }) {
                let line = String(decoding: pending[0..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                return line
            }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while pending.count < count { try fill() }
        let bytes = Array(pending[0..<count])
        pending.removeFirst(count)
        return bytes
    }

    private func readResponse() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line: \(statusLine)") }
        var length = 0
        var chunked = false
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            let field = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard field.count == 2 else { continue }
            if field[0] == "content-length" { length = Int(field[1]) ?? 0 }
            if field[0] == "transfer-encoding" && field[1].contains("chunked") { chunked = true }
        }
        guard chunked else { return Response(status: status, body: try readBytes(length)) }
        var body: [UInt8] = []
        while true {
            let size = Int(try readLine().split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 {
                _ = try readLine()
                return Response(status: status, body: body)
            }
            body += try readBytes(size)
            _ = try readLine()
        }
    }
}
