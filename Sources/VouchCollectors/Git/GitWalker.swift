import CLibGit2
import Foundation

/// Walks commit history by hand rather than with `git_revwalk`, so that a missing object
/// stops only its own line of history (an error names it) and a shallow boundary is honoured.
struct GitWalker {
    let repo: Git2Repository
    /// Commits whose parents a shallow clone cut off.
    let shallow: Set<String>

    /// A commit the walk could not read.
    struct Missing: Sendable {
        var id: String
        var child: String?
        var message: String
    }

    /// Every commit reachable from `tips`, children before parents, not descending into commits
    /// for which `stop` returns true (they are not returned either).
    func walk(tips: [String], stop: (String) throws -> Bool, missing: inout [Missing]) throws -> [git_oid] {
        var firstParents: [String: String] = [:]
        return try walk(tips: tips, stop: stop, missing: &missing, firstParents: &firstParents)
    }

    /// As `walk`, also noting each walked commit's first parent (for `firstParentLine` without reading
    /// the commits again).
    func walk(tips: [String], stop: (String) throws -> Bool, missing: inout [Missing],
              firstParents: inout [String: String]) throws -> [git_oid] {
        var seen = Set<String>()
        var out: [git_oid] = []
        var stack: [(id: String, child: String?)] = tips.reversed().map { ($0, nil) }
        while let (id, child) = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            if try stop(id) { continue }
            guard var oid = oidFrom(id) else { continue }
            var c: OpaquePointer?
            let rc = git_commit_lookup(&c, repo.pointer, &oid)
            guard rc == 0, let c else {
                missing.append(Missing(id: id, child: child, message: Git2Error(call: "reading commit \(id)", code: rc).message))
                continue
            }
            out.append(oid)
            if !shallow.contains(id) {
                let n = git_commit_parentcount(c)
                var parents: [String] = []
                for i in 0..<n { if let p = git_commit_parent_id(c, i) { parents.append(oidHex(p)) } }
                if let first = parents.first { firstParents[id] = first }
                // Push in reverse so the first parent is walked first (a stable, git-log-like order).
                for p in parents.reversed() where !seen.contains(p) { stack.append((p, id)) }
            }
            git_commit_free(c)
        }
        return out
    }

    /// The first-parent line from `head`, newest first, ending before `until` (or at the root).
    /// `reached` tells whether `until` was met on the way.
    /// `known` holds first parents already read by `walk` (a root commit is simply absent: it is read).
    func firstParentLine(from head: String, until: String?, known: [String: String] = [:]) -> (ids: [String], reached: Bool) {
        var ids: [String] = []
        var current: String? = head
        while let id = current {
            if id == until { return (ids, true) }
            ids.append(id)
            if !shallow.contains(id), let parent = known[id] { current = parent; continue }
            guard !shallow.contains(id), var oid = oidFrom(id) else { break }
            var c: OpaquePointer?
            guard git_commit_lookup(&c, repo.pointer, &oid) == 0, let c else { break }
            current = git_commit_parentcount(c) > 0 ? git_commit_parent_id(c, 0).map { oidHex($0) } : nil
            git_commit_free(c)
        }
        return (ids, until == nil)
    }

    /// Whether `id` is reachable from any of `tips` (itself included).
    func isReachable(_ id: String, from tips: [String]) -> Bool {
        if tips.contains(id) { return true }
        guard let oid = oidFrom(id) else { return false }
        var target = oid
        var descendants = tips.compactMap(oidFrom)
        guard !descendants.isEmpty else { return false }
        return git_graph_reachable_from_any(repo.pointer, &target, &descendants, descendants.count) == 1
    }
}

/// Reads commits on several threads (each with its own repository handle) and hands the
/// results to the caller's thread in walk order, so rows land deterministically.
enum GitParallelReader {
    /// Commits per work item: a thread reading consecutive commits finds the parent's trees and
    /// blobs in its cache.
    static let chunkSize = 256

    /// Reads `oids` with `readers` (one per thread) and calls `consume` for each, in order.
    static func run(oids: [git_oid], readers: [GitCommitReader],
                    consume: (git_oid, Result<GitCommitFacts, Error>) throws -> Void) throws {
        if readers.count <= 1 || oids.count < 64 {
            for oid in oids { try consume(oid, Result { try readers[0].read(oid) }) }
            return
        }
        let box = ReaderBox(readers: readers, oids: oids)
        let chunks = (oids.count + chunkSize - 1) / chunkSize
        let prefetch = OrderedPrefetch<[Result<GitCommitFacts, Error>]>(
            count: chunks, workers: readers.count, window: readers.count + 2,
            perWorker: { index, worker in
                let lo = index * chunkSize, hi = min(lo + chunkSize, box.oids.count)
                return (lo..<hi).map { i in Result { try box.readers[worker].read(box.oids[i]) } }
            })
        defer { prefetch.finish() }
        for index in 0..<chunks {
            let lo = index * chunkSize
            for (k, r) in prefetch.take(index).enumerated() { try consume(oids[lo + k], r) }
        }
    }
}

/// Hands the readers to their threads (worker k uses only reader k).
private final class ReaderBox: @unchecked Sendable {
    let readers: [GitCommitReader]
    let oids: [git_oid]
    init(readers: [GitCommitReader], oids: [git_oid]) { self.readers = readers; self.oids = oids }
}
