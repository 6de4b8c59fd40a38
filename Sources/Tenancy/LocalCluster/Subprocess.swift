import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a helper program (initdb, pg_ctl) to completion, its output captured in a temporary
/// file. Foundation's `Process` is not used: it learns of an exit through a descriptor the
/// child inherits, and the PostgreSQL server that `pg_ctl start` leaves behind keeps that
/// descriptor open forever. Here the child gets only stdin, stdout and stderr, and its exit
/// is polled with `waitpid(WNOHANG)` so no thread blocks.
struct Subprocess {
    struct Result {
        let status: Int32
        let output: String
        var succeeded: Bool { status == 0 }
    }

    static func run(_ executable: String, _ arguments: [String], as user: String? = nil) async throws -> Result {
        var argv = [executable] + arguments
        if let user {
            let runuser = try PostgresBinaries.findExecutable("runuser", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            argv = [runuser, "-u", user, "--"] + argv
        }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = posix_spawn_file_actions_addclosefrom_np(&actions, 3)

        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw DatabaseError.localCluster("cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }

        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0, errno != EINTR {
                throw DatabaseError.localCluster("lost track of \(argv[0]): \(String(cString: strerror(errno)))")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: exitStatus, output: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// glibc 2.34+ has it, but its header hides it from Swift's Glibc module.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func posix_spawn_file_actions_addclosefrom_np(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
