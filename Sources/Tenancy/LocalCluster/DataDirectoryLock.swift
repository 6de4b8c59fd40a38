#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<data dir>/kefu.lock`, held by the process that owns the local
/// cluster (starts and stops it). The kernel drops it when the process dies, even by `kill -9`,
/// so the next start can take over a cluster left running. The descriptor is close-on-exec so
/// the PostgreSQL server it starts never inherits the lock.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock if no live process holds it; `nil` when another process does.
    public static func tryAcquire(path: String) throws -> DataDirectoryLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DatabaseError.localCluster("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return DataDirectoryLock(descriptor: descriptor)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
