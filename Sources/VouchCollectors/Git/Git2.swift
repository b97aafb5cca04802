import CLibGit2
import Foundation

/// A libgit2 failure, typed by its return code so callers can match the cases they handle
/// (a missing object, an unborn branch) and report the rest with libgit2's own message.
enum Git2Error: Error, LocalizedError, Equatable {
    case notFound(call: String, message: String)
    case unbornBranch(call: String, message: String)
    case notOwner(call: String, message: String)
    case invalid(call: String, message: String)
    case mismatch(call: String, message: String)
    case other(call: String, code: Int32, message: String)

    /// Maps a negative libgit2 return code (and the thread's last error) to a case.
    init(call: String, code: Int32) {
        let message = git_error_last().map { String(cString: $0.pointee.message) } ?? "libgit2 error \(code)"
        switch git_error_code(rawValue: code) {
        case GIT_ENOTFOUND: self = .notFound(call: call, message: message)
        case GIT_EUNBORNBRANCH: self = .unbornBranch(call: call, message: message)
        case GIT_EOWNER: self = .notOwner(call: call, message: message)
        case GIT_EINVALID, GIT_EINVALIDSPEC: self = .invalid(call: call, message: message)
        case GIT_EMISMATCH: self = .mismatch(call: call, message: message)
        default: self = .other(call: call, code: code, message: message)
        }
    }

    var message: String {
        switch self {
        case .notFound(_, let m), .unbornBranch(_, let m), .notOwner(_, let m), .invalid(_, let m), .mismatch(_, let m),
             .other(_, _, let m):
            return m
        }
    }

    var errorDescription: String? {
        switch self {
        case .notFound(let call, let m): return "\(call): not found: \(m)"
        case .unbornBranch(let call, let m): return "\(call): the branch has no commits yet: \(m)"
        case .notOwner(let call, let m): return "\(call): \(m) (run vouch as the repository's owner, or add it to git's safe.directory)"
        case .invalid(let call, let m): return "\(call): invalid input: \(m)"
        case .mismatch(let call, let m): return "\(call): an object does not match its hash (the repository is damaged): \(m)"
        case .other(let call, let code, let m): return "\(call) failed (\(code)): \(m)"
        }
    }
}

/// Calls libgit2 and throws a typed error for a negative return code.
@discardableResult
func git2(_ call: @autoclosure () -> String, _ rc: Int32) throws -> Int32 {
    if rc < 0 { throw Git2Error(call: call(), code: rc) }
    return rc
}

/// libgit2's global state: initialised once per process, before any other call.
enum Git2Library {
    /// Memory bounds: pack windows of 8 MiB, at most 64 MiB of them mapped at once (the defaults map a
    /// whole pack per repository handle, and every reader thread has its own). libgit2's object cache
    /// is off: each reader keeps its own (`GitObjectCache`). Objects are not hashed again on every
    /// read (git itself does not either: `git fsck` is the integrity check; re-hashing doubled the
    /// cost of reading history).
    static let initialised: Bool = {
        guard git_libgit2_init() > 0 else { return false }
        _ = vouch_git_set_strict_hash_verification(0)
        _ = vouch_git_set_caching(0)
        _ = vouch_git_set_mwindow_size(8 << 20)
        _ = vouch_git_set_mwindow_mapped_limit(64 << 20)
        return true
    }()
}

/// A commit id as 40 lower-case hex characters.
func oidHex(_ oid: UnsafePointer<git_oid>) -> String {
    String(unsafeUninitializedCapacity: 40) { buf in
        let hex: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: oid.pointee.id) { id in
            for (i, b) in id.enumerated() {
                buf[2 * i] = hex.utf8Start[Int(b >> 4)]
                buf[2 * i + 1] = hex.utf8Start[Int(b & 15)]
            }
            return 40
        }
    }
}

/// Parses 40 hex characters into an oid, or nil.
func oidFrom(_ hex: String) -> git_oid? {
    var oid = git_oid()
    guard hex.utf8.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
    return oid
}

/// A C string's bytes (without the terminator), or an empty array for NULL.
func cBytes(_ p: UnsafePointer<CChar>?) -> [UInt8] {
    guard let p else { return [] }
    let n = strlen(p)
    return p.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
}

/// An open repository. Not shared between threads: each worker opens its own.
final class Git2Repository {
    let pointer: OpaquePointer
    let path: String

    init(path: String) throws {
        _ = Git2Library.initialised
        var repo: OpaquePointer?
        try git2("opening the repository \(path)", git_repository_open_ext(&repo, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil))
        pointer = repo!
        self.path = path
    }

    deinit { git_repository_free(pointer) }

    /// The git directory (`.git/` or the bare repository itself).
    var gitDirectory: String { String(cString: git_repository_path(pointer)) }
    /// The working tree, or nil for a bare repository.
    var workDirectory: String? { git_repository_workdir(pointer).map { String(cString: $0) } }
    var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    /// Looks a commit up; the caller frees it with `git_commit_free`.
    func commit(_ oid: git_oid) throws -> OpaquePointer {
        var oid = oid
        var c: OpaquePointer?
        try git2("reading commit \(oidHex(&oid))", git_commit_lookup(&c, pointer, &oid))
        return c!
    }

    /// The ids of the commits cut off by a shallow clone (`.git/shallow`), from the file itself
    /// because this libgit2 does not graft them.
    func shallowBoundary() -> [String] {
        let file = (gitDirectory as NSString).appendingPathComponent("shallow")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.utf8.count == 40 }.sorted()
    }
}
