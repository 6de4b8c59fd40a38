import Foundation
import Testing
@testable import Tenancy

@Suite struct MasterKeyFileTests {
    func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    func mode(of url: URL) -> mode_t? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    @Test func theFirstLoadCreatesOneKeyReadableOnlyByItsOwnerAndLaterLoadsReadIt() async throws {
        try await withDirectory { directory in
            let file = MasterKeyFile(directory: directory)
            #expect(try file.load() == nil)
            let created = try file.loadOrCreate()
            #expect(created.all.count == 1)
            #expect(mode(of: file.url) == 0o600)
            let text = try String(contentsOf: file.url, encoding: .utf8)
            let keyLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(keyLines == [Substring(created.current.base64)])
            #expect(try file.loadOrCreate().current.id == created.current.id)
        }
    }

    @Test func processesCreatingTheFileAtOnceAllGetTheSameKey() async throws {
        try await withDirectory { directory in
            let file = MasterKeyFile(directory: directory)
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 { group.addTask { try file.loadOrCreate().current.id } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(leftovers == [MasterKeyFile.fileName])
        }
    }

    @Test func savingPutsTheCurrentKeyFirstAndKeepsTheOthers() async throws {
        try await withDirectory { directory in
            let file = MasterKeyFile(directory: directory)
            let first = try file.loadOrCreate()
            let rotated = try first.making(current: MasterKeys.generateKey())
            try file.save(rotated)
            let reloaded = try #require(try file.load())
            #expect(reloaded.all.map(\.id) == rotated.all.map(\.id))
            #expect(reloaded.all.last?.id == first.current.id)
            #expect(mode(of: file.url) == 0o600)
        }
    }

    @Test func aDamagedFileStopsWithAnErrorNamingTheFile() async throws {
        try await withDirectory { directory in
            let file = MasterKeyFile(directory: directory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data("not-a-key\n".utf8).write(to: file.url)
            do {
                _ = try file.loadOrCreate()
                Issue.record("a damaged key file was accepted")
            } catch let error as SecretError {
                #expect("\(error)".contains(file.url.path))
                #expect(!"\(error)".contains("not-a-key"))
            }
        }
    }
}
