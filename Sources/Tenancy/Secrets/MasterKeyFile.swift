import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The master keys of a node without `KEFU_MASTER_KEY`: `master.key` in the data directory, one
/// base64 key a line, the current one first, mode 0600. Created with one new key on first use.
/// File I/O: call off the event loop.
public struct MasterKeyFile: Sendable {
    public static let fileName = "master.key"
    public let url: URL

    public init(directory: URL) {
        url = directory.appendingPathComponent(Self.fileName)
    }

    /// The keys in the file, creating it with a new key when absent. Two processes starting
    /// at once end up with the same key: the file appears whole (link(2) of a finished temporary
    /// file) or not at all, and the loser reads the winner's.
    public func loadOrCreate() throws -> MasterKeys {
        if let keys = try load() { return keys }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SecretError.keyFile(path: url.path, detail: "cannot create its directory (\(error.localizedDescription))")
        }
        let keys = try MasterKeys([MasterKeys.generateKey()], source: url.path)
        let temporary = try writeTemporary(keys)
        defer { unlink(temporary) }
        if link(temporary, url.path) != 0 && errno != EEXIST {
            throw SecretError.keyFile(path: url.path, detail: "cannot create it (\(String(cString: strerror(errno))))")
        }
        guard let stored = try load() else { throw SecretError.keyFile(path: url.path, detail: "vanished while being created") }
        return stored
    }

    /// The keys in the file, or nil when there is no file.
    public func load() throws -> MasterKeys? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SecretError.keyFile(path: url.path, detail: "cannot be read")
        }
        return try MasterKeys(parsing: String(decoding: data, as: UTF8.self), source: url.path, lines: true)
    }

    /// Replaces the file with `keys` (written to a temporary file, flushed, then renamed over
    /// it), so a crash leaves the old file or the new one, never half of one.
    public func save(_ keys: MasterKeys) throws {
        let temporary = try writeTemporary(keys)
        if rename(temporary, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SecretError.keyFile(path: url.path, detail: "cannot replace it (\(reason))")
        }
    }

    private func writeTemporary(_ keys: MasterKeys) throws -> String {
        let path = url.path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let text = "# Kefu master keys (base64, one a line): the first seals new secrets, all open them. Back this file up; losing it loses every secret it sealed.\n"
            + keys.all.map { $0.base64 + "\n" }.joined()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw SecretError.keyFile(path: url.path, detail: "cannot write \(path) (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw SecretError.keyFile(path: url.path, detail: "cannot write \(path)")
        }
        return path
    }
}
