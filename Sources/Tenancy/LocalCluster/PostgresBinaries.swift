import Foundation

/// The PostgreSQL server programs the local cluster needs.
public struct PostgresBinaries: Sendable, Equatable {
    public let directory: String

    var initdb: String { directory + "/initdb" }
    var pgCtl: String { directory + "/pg_ctl" }

    /// Finds `initdb` and `pg_ctl`: in `configured` when given, else on PATH, else in the newest
    /// `/usr/lib/postgresql/<version>/bin`. Throws a message that says what to install.
    public static func locate(configured: String?) throws -> PostgresBinaries {
        let fileManager = FileManager.default
        func hasBoth(_ directory: String) -> Bool {
            fileManager.isExecutableFile(atPath: directory + "/initdb") && fileManager.isExecutableFile(atPath: directory + "/pg_ctl")
        }
        if let configured {
            guard hasBoth(configured) else {
                throw DatabaseError.localCluster("KEFU_PG_BIN_DIR=\(configured) has no initdb and pg_ctl")
            }
            return PostgresBinaries(directory: configured)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) where hasBoth(directory) {
            return PostgresBinaries(directory: directory)
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where hasBoth("\(root)/\(version)/bin") {
            return PostgresBinaries(directory: "\(root)/\(version)/bin")
        }
        throw DatabaseError.localCluster(
            "PostgreSQL server programs (initdb, pg_ctl) were not found. Install them with `apt-get install -y postgresql`, "
                + "point KEFU_PG_BIN_DIR at their directory, or set DATABASE_URL to an existing PostgreSQL")
    }

    static func findExecutable(_ name: String, in directories: [String]) throws -> String {
        for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw DatabaseError.localCluster("\(name) was not found in \(directories.joined(separator: ", "))")
    }
}
