import Crypto
import Foundation

/// One forward-only schema change: `Migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// Hex SHA-256 of the file's bytes: an applied migration whose file changes is refused.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func label(_ version: Int, _ name: String) -> String {
        String(format: "%04d_%@", version, name)
    }

    public var label: String { Self.label(version, name) }

    /// Reads every `NNNN_name.sql` in `directory`, in version order.
    ///
    /// Throws `DatabaseError.invalidMigrationFile` for a misnamed `.sql` file, a duplicate or
    /// skipped version, or a missing directory, so a broken set never half-applies.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw DatabaseError.invalidMigrationFile("cannot read the migrations directory \(directory.path)")
        }
        var migrations: [Migration] = []
        for fileName in names where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0,
                  parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" })
            else {
                throw DatabaseError.invalidMigrationFile("\(fileName) is not named NNNN_lowercase_name.sql")
            }
            let sql: String
            do {
                sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            } catch {
                throw DatabaseError.invalidMigrationFile("cannot read \(fileName)")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw DatabaseError.invalidMigrationFile("expected version \(String(format: "%04d", index + 1)) but found \(migration.label): versions must run 0001, 0002, ... without gaps or repeats")
        }
        return migrations
    }
}
