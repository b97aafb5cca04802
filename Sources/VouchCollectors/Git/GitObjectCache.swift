import CLibGit2
import Foundation

/// The libgit2 objects one reader thread has read recently, by id: commits, and the trees and blobs
/// that `GitPackReader` leaves to libgit2 (loose objects, libgit2's own diff).
///
/// Reading history newest first reads most objects twice: a parent commit is read again when the
/// walk reaches it, its tree and blobs again as the new side of its own diff. libgit2's own
/// cache would keep them, but under constant eviction its lookups (`git_oid_equal` in its hash
/// table) became the hottest code of the run; so libgit2's cache is off (see `Git2Library`) and each
/// reader keeps this first-in-first-out cache instead.
///
/// Objects handed out stay valid until the next `trim()`; the cache owns and frees them.
final class GitObjectCache {
    private struct Key: Hashable {
        var a: UInt64, b: UInt64, c: UInt32
        init(_ oid: UnsafePointer<git_oid>) {
            (a, b, c) = UnsafeRawPointer(oid).withMemoryRebound(to: UInt8.self, capacity: 20) { p in
                let r = UnsafeRawPointer(p)
                return (r.loadUnaligned(as: UInt64.self), r.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                        r.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            }
        }
    }

    private struct Entry {
        var object: OpaquePointer
        var bytes: Int
    }

    /// Held so the repository outlives the objects read from it.
    private let repository: Git2Repository
    private var repo: OpaquePointer { repository.pointer }
    private var entries: [Key: Entry] = [:]
    private var order: [Key] = []
    private var first = 0
    private var bytes = 0
    private let budget: Int
    /// Objects too large to keep: freed at the next trim.
    private var transient: [OpaquePointer] = []

    init(repository: Git2Repository, budget: Int = 8 << 20) {
        self.repository = repository
        self.budget = budget
    }

    deinit {
        for e in entries.values { git_object_free(e.object) }
        for o in transient { git_object_free(o) }
    }

    /// The object with this id and type; throws libgit2's error when it cannot be read.
    func lookup(_ oid: UnsafePointer<git_oid>, _ type: git_object_t, what: @autoclosure () -> String) throws -> OpaquePointer {
        let key = Key(oid)
        if let e = entries[key] { return e.object }
        var o: OpaquePointer?
        try git2(what(), git_object_lookup(&o, repo, oid, type))
        let object = o!
        let size: Int
        switch git_object_type(object) {
        case GIT_OBJECT_BLOB: size = Int(git_blob_rawsize(object)) + 64
        case GIT_OBJECT_TREE: size = git_tree_entrycount(object) * 64 + 64
        default: size = 512
        }
        if size > budget / 8 {
            transient.append(object)
        } else {
            entries[key] = Entry(object: object, bytes: size)
            order.append(key)
            bytes += size
        }
        return object
    }

    /// Whether the object is held (reading it again costs nothing).
    func contains(_ oid: UnsafePointer<git_oid>) -> Bool { entries[Key(oid)] != nil }

    /// Frees the oldest objects until the cache is within its budget (and every too-large one).
    func trim() {
        for o in transient { git_object_free(o) }
        transient.removeAll(keepingCapacity: true)
        while bytes > budget, first < order.count {
            if let e = entries.removeValue(forKey: order[first]) {
                bytes -= e.bytes
                git_object_free(e.object)
            }
            first += 1
        }
        if first > 4096, first * 2 > order.count {
            order.removeFirst(first)
            first = 0
        }
    }
}
