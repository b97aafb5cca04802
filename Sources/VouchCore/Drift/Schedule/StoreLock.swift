import Foundation

/// An exclusive `flock` on `STORE.lock`, so scheduled runs on one store never overlap.
/// The kernel drops the lock when the process dies, so a killed run never leaves it stale.
public final class StoreLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    /// Takes the lock or throws, naming the process that holds it.
    public init(store: String) throws {
        path = store + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            fd = -1
            throw DriftError.locked(path: path, holder: holder.isEmpty ? "" : "pid \(holder)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
