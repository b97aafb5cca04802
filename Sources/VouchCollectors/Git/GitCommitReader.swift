import CLibGit2
import Foundation
import VouchCore

/// How much of each commit's changes to read.
enum GitChangesMode: String, Sendable {
    /// Per-file changes with line stats (diffs the blobs).
    case lines
    /// Per-file changes without line stats (compares trees only).
    case paths
    /// Commit metadata only.
    case none
}

/// What the hunk callback adds up.
private struct LineCount {
    var adds: Int64 = 0
    var dels: Int64 = 0
    var binary = false
}

/// Reads one commit's facts from its own repository handle (one reader per thread).
final class GitCommitReader {
    let repo: Git2Repository
    let mode: GitChangesMode
    let maxDiffBytes: Int64
    let shallow: Set<String>
    let redactor: Redactor
    let cache: GitObjectCache
    /// The object database, for what the pack reader leaves to libgit2 (sizes, raw trees).
    private let odb: OpaquePointer
    /// Blobs and trees read from the pack files (libgit2 reads the rest).
    let pack: GitPackReader

    /// Every commit through libgit2's own tree diff (the `tree_diff: libgit2` option).
    let libgit2TreeDiff: Bool

    init(path: String, mode: GitChangesMode, maxDiffBytes: Int64, shallow: Set<String>, redactor: Redactor,
         libgit2TreeDiff: Bool = false, packIndex: GitPackIndex? = nil) throws {
        repo = try Git2Repository(path: path)
        self.libgit2TreeDiff = libgit2TreeDiff
        cache = GitObjectCache(repository: repo)
        var o: OpaquePointer?
        try git2("opening the object database of \(path)", git_repository_odb(&o, repo.pointer))
        odb = o!
        let objects = String(cString: git_repository_commondir(repo.pointer)) + "objects"
        pack = GitPackReader(index: packIndex ?? GitPackIndex(objectsDirectory: objects))
        self.mode = mode
        self.maxDiffBytes = maxDiffBytes
        self.shallow = shallow
        self.redactor = redactor
    }

    deinit { git_odb_free(odb) }

    func read(_ oid: git_oid) throws -> GitCommitFacts {
        var oid = oid
        defer { cache.trim() }
        let c = try cache.lookup(&oid, GIT_OBJECT_COMMIT, what: "reading commit \(oidHex(&oid))")
        let id = oidHex(git_commit_id(c))
        let parts = Self.parts(of: c)
        var mergedAuthor: String?
        if parts.parents.count > 1, var second = git_commit_parent_id(c, 1)?.pointee, !shallow.contains(id) {
            var p: OpaquePointer?
            if git_commit_lookup(&p, repo.pointer, &second) == 0, let p {
                mergedAuthor = SafeText.from(bytes: cBytes(git_commit_author(p)?.pointee.email))
                git_commit_free(p)
            }
        }
        var facts = facts(id: id, parts, mergedAuthor: mergedAuthor)
        if mode != .none {
            do { facts.changes = try changes(c, firstParent: facts.shallow ? nil : git_commit_parent_id(c, 0)?.pointee) }
            catch { facts.changesError = (error as? LocalizedError)?.errorDescription ?? "\(error)" }
        }
        return facts
    }

    /// What a commit's metadata (no changes) is made of, from its raw bytes: read from the pack files
    /// where they are, parsed by `GitRawCommit`, without a libgit2 lookup (the one-pass metadata walk;
    /// `facts` makes the facts). The commit's id and parts, and for a merge its second parent's author.
    func readMetadataParts(_ oid: git_oid) throws -> (id: String, parts: GitCommitParts, mergedAuthor: String?) {
        var oid = oid
        let id = oidHex(&oid)
        let parts = try rawParts(&oid, what: "reading commit \(id)")
        var mergedAuthor: String?
        if parts.parents.count > 1, !shallow.contains(id), var second = oidFrom(parts.parents[1]),
           let p = try? rawParts(&second, what: "reading commit \(parts.parents[1])") {
            mergedAuthor = SafeText.from(bytes: p.author.email)
        }
        return (id, parts, mergedAuthor)
    }

    /// A commit's parts from its raw bytes (see `readMetadataParts`).
    func rawParts(_ oid: UnsafePointer<git_oid>, what: @autoclosure () -> String) throws -> GitCommitParts {
        let bytes = try raw(oid, type: GitPackReader.commit, GIT_OBJECT_COMMIT, "commit", what: what())
        guard let parts = GitRawCommit.parse(bytes) else {
            throw Git2Error.invalid(call: what(), message: "failed to parse bad commit object")
        }
        return parts
    }

    /// What libgit2 gives for a looked-up commit (`GitRawCommit` is held to the same).
    static func parts(of c: OpaquePointer) -> GitCommitParts {
        var parents: [String] = []
        for i in 0..<git_commit_parentcount(c) {
            if let p = git_commit_parent_id(c, i) { parents.append(oidHex(p)) }
        }
        func person(_ s: UnsafePointer<git_signature>?) -> GitCommitParts.Person {
            guard let s = s?.pointee else { return .init(name: [], email: [], time: 0, offset: 0) }
            return .init(name: cBytes(s.name), email: cBytes(s.email), time: s.when.time, offset: Int(s.when.offset))
        }
        return GitCommitParts(
            tree: oidHex(git_commit_tree_id(c)), parents: parents, author: person(git_commit_author(c)),
            committer: person(git_commit_committer(c)), rawMessage: cBytes(git_commit_message_raw(c)),
            summary: cBytes(git_commit_summary(c)), encoding: git_commit_message_encoding(c).map { cBytes($0) },
            rawHeader: cBytes(git_commit_raw_header(c)))
    }

    /// The facts of a commit from its parts.
    func facts(id: String, _ parts: GitCommitParts, mergedAuthor: String?) -> GitCommitFacts {
        let rawMessage = parts.rawMessage
        let trailers = Self.withCString(parts.message) { GitMessage.trailers($0) }
        let summary = SafeText.from(bytes: parts.summary)
        let messageText = redactor.scrub(SafeText.from(bytes: rawMessage))
        let author = person(parts.author)
        let committer = person(parts.committer)
        let differs: Bool
        if parts.parents.count > 1 {
            differs = mergedAuthor.map { !Self.sameEmail($0, author.email) } ?? false
        } else {
            differs = !Self.sameEmail(author.email, committer.email)
        }
        return GitCommitFacts(
            id: id, tree: parts.tree, parents: parts.parents, author: author, committer: committer,
            summary: redactor.scrub(summary), message: messageText, messageSHA256: Hashing.sha256Hex(rawMessage),
            encoding: parts.encoding.map { String(decoding: $0, as: UTF8.self) },
            signatureType: Self.withCString(parts.rawHeader[...]) { GitMessage.signatureType(rawHeader: $0) },
            trailers: GitMessage.trailersJSON(trailers), reviewCount: GitMessage.reviewCount(trailers),
            pullRequest: GitMessage.pullRequest(summary: summary, message: messageText),
            mergedAuthorEmail: mergedAuthor, mergerDiffers: differs, shallow: shallow.contains(id),
            changes: nil, changesError: nil)
    }

    /// Emails compared as `lowercased()` compares them, without making the lowercased copies when
    /// both are ASCII (two allocations per commit otherwise).
    static func sameEmail(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else {
                    return x.allSatisfy { $0 < 0x80 } && y.allSatisfy { $0 < 0x80 } ? false : nil
                }
                for i in 0..<x.count {
                    let c = x[i], d = y[i]
                    if c >= 0x80 || d >= 0x80 { return nil }
                    if c != d && Self.asciiLower(c) != Self.asciiLower(d) { return false }
                }
                return true
            }
        } ?? (a.lowercased() == b.lowercased())
    }

    private static func asciiLower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }

    private static func withCString<T>(_ bytes: ArraySlice<UInt8>, _ body: (UnsafePointer<CChar>) -> T) -> T {
        var z = Array(bytes)
        z.append(0)
        return z.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }

    private func person(_ p: GitCommitParts.Person) -> GitPerson {
        GitPerson(name: SafeText.from(bytes: p.name), email: SafeText.from(bytes: p.email),
                  time: GitTime.iso(p.time), epoch: p.time, tz: p.offset)
    }

    /// The per-file changes against the first parent (the empty tree for a root or shallow commit), renames found.
    private func changes(_ c: OpaquePointer, firstParent: git_oid?) throws -> [GitChangeFacts] {
        let commitID = oidHex(git_commit_id(c))
        var treeID = git_commit_tree_id(c).pointee
        var parentTreeID: git_oid?
        var parentHex = ""
        if var parent = firstParent {
            parentHex = oidHex(&parent)
            let pc = try cache.lookup(&parent, GIT_OBJECT_COMMIT, what: "reading parent \(parentHex) of commit \(commitID)")
            parentTreeID = git_commit_tree_id(pc).pointee
        }
        var opts = Self.diffOptions(maxBytes: maxDiffBytes)
        if !libgit2TreeDiff {
            let new = try rawTree(&treeID, what: "reading the tree of commit \(commitID)")
            let old = try parentTreeID.map { id in
                var id = id
                return try rawTree(&id, what: "reading the tree of parent \(parentHex)")
            }
            let walk = GitTreeDiff { id, path in
                try self.rawTree(id, what: "reading the tree \(oidHex(id)) at \(SafeText.from(bytes: path))")
            }
            if let plain = try walk.changes(old: old, new: new) {
                return try plain.map { try facts($0, commitID: commitID, opts: &opts) }
            }
        }
        let tree = try cache.lookup(&treeID, GIT_OBJECT_TREE, what: "reading the tree of commit \(commitID)")
        let parentTree = try parentTreeID.map { id in
            var id = id
            return try cache.lookup(&id, GIT_OBJECT_TREE, what: "reading the tree of parent \(parentHex)")
        }
        var diff: OpaquePointer?
        try git2("comparing commit \(commitID) with its parent", git_diff_tree_to_tree(&diff, repo.pointer, parentTree, tree, &opts))
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try git2("finding renames in commit \(commitID)", git_diff_find_similar(diff, &find))
        var out: [GitChangeFacts] = []
        let n = git_diff_num_deltas(diff)
        out.reserveCapacity(n)
        for i in 0..<n {
            guard var delta = git_diff_get_delta(diff, i)?.pointee else { continue }
            var adds: Int64?, dels: Int64?
            if mode == .lines {
                var patch: OpaquePointer?
                try git2("diffing \(SafeText.from(bytes: cBytes(delta.new_file.path))) in commit \(commitID)",
                         git_patch_from_diff(&patch, diff, i))
                if let patch {
                    defer { git_patch_free(patch) }
                    if let d = git_patch_get_delta(patch)?.pointee { delta = d }
                    var a = 0, d = 0
                    if delta.flags & GIT_DIFF_FLAG_BINARY.rawValue == 0, git_patch_line_stats(nil, &a, &d, patch) == 0 {
                        adds = Int64(a); dels = Int64(d)
                    }
                }
            }
            let binary = delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0
            let tooLarge = binary && max(delta.old_file.size, delta.new_file.size) > UInt64(maxDiffBytes)
            let status = Self.statusName(delta.status)
            let newPath = SafeText.from(bytes: cBytes(delta.new_file.path))
            let oldPath = SafeText.from(bytes: cBytes(delta.old_file.path))
            let hasOld = delta.status != GIT_DELTA_ADDED, hasNew = delta.status != GIT_DELTA_DELETED
            out.append(GitChangeFacts(
                path: hasNew ? newPath : oldPath, status: status,
                oldPath: (status == "renamed" || status == "copied") ? oldPath : nil,
                additions: binary ? nil : adds, deletions: binary ? nil : dels, binary: binary, tooLarge: tooLarge,
                oldMode: hasOld ? Int64(delta.old_file.mode) : nil, newMode: hasNew ? Int64(delta.new_file.mode) : nil,
                oldBlob: hasOld ? oidHex(&delta.old_file.id) : nil, newBlob: hasNew ? oidHex(&delta.new_file.id) : nil,
                similarity: (status == "renamed" || status == "copied") ? Int64(delta.similarity) : nil))
        }
        return out
    }

    /// A tree's raw entries: from the pack files, or from libgit2's object database.
    private func rawTree(_ id: UnsafePointer<git_oid>, what: @autoclosure () -> String) throws -> [UInt8] {
        try raw(id, type: GitPackReader.tree, GIT_OBJECT_TREE, "tree", what: what())
    }

    /// An object's raw bytes: from the pack files (up to 64 MiB), or from libgit2's object database,
    /// which must hold it with the type asked for.
    private func raw(_ id: UnsafePointer<git_oid>, type: UInt8, _ libgit2Type: git_object_t, _ name: String,
                     what: @autoclosure () -> String) throws -> [UInt8] {
        if case .content(let bytes) = pack.content(of: id, limit: 64 << 20, type: type) { return bytes }
        var o: OpaquePointer?
        try git2(what(), git_odb_read(&o, odb, id))
        defer { git_odb_object_free(o) }
        guard git_odb_object_type(o) == libgit2Type else {
            throw Git2Error.invalid(call: what(), message: "the object is not a \(name)")
        }
        let n = git_odb_object_size(o)
        guard n > 0, let data = git_odb_object_data(o) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: n))
    }

    /// Changed lines only (no context), and files over `maxBytes` taken as binary.
    static func diffOptions(maxBytes: Int64) -> git_diff_options {
        var opts = git_diff_options()
        git_diff_options_init(&opts, UInt32(GIT_DIFF_OPTIONS_VERSION))
        opts.context_lines = 0
        opts.interhunk_lines = 0
        opts.max_size = maxBytes
        return opts
    }

    /// One file of a plain change (no rename possible): the same row libgit2's diff would give.
    private func facts(_ ch: GitTreeDiff.Change, commitID: String, opts: inout git_diff_options) throws -> GitChangeFacts {
        let path = SafeText.from(bytes: ch.path)
        var adds: Int64?, dels: Int64?, binary = false, tooLarge = false
        if mode == .lines {
            (adds, dels, binary, tooLarge) = try lineStats(ch, path: path, commitID: commitID, opts: &opts)
        }
        var oldID = ch.old?.id, newID = ch.new?.id
        return GitChangeFacts(
            path: path, status: ch.old == nil ? "added" : (ch.new == nil ? "deleted" : "modified"), oldPath: nil,
            additions: binary ? nil : adds, deletions: binary ? nil : dels, binary: binary, tooLarge: tooLarge,
            oldMode: ch.old.map { Int64($0.mode) }, newMode: ch.new.map { Int64($0.mode) },
            oldBlob: oldID != nil ? oidHex(&oldID!) : nil, newBlob: newID != nil ? oidHex(&newID!) : nil, similarity: nil)
    }

    /// Lines added and deleted (libgit2's xdiff, as its diff would count them), or binary / too large.
    private func lineStats(_ ch: GitTreeDiff.Change, path: String, commitID: String, opts: inout git_diff_options) throws
        -> (adds: Int64?, dels: Int64?, binary: Bool, tooLarge: Bool)
    {
        // A mode change alone: nothing to diff.
        if let o = ch.old, let n = ch.new, withUnsafePointer(to: o.id, { a in withUnsafePointer(to: n.id) { git_oid_equal(a, $0) } }) == 1 {
            return (0, 0, false, false)
        }
        // Each side's size first, so a blob over the limit is never loaded (a 2 GB image in history must
        // not need 2 GB of memory); libgit2's diff checks the header the same way. Packed blobs are read
        // by `GitPackReader`, which knows the size before loading; libgit2 reads the rest.
        var packed: [[UInt8]?] = [nil, nil]
        for (n, side) in [ch.old, ch.new].enumerated() {
            guard var id = side?.id, !cache.contains(&id) else { continue }
            switch pack.content(of: &id, limit: Int(maxDiffBytes)) {
            case .tooLarge: return (nil, nil, true, true)
            case .content(let bytes): packed[n] = bytes
            case .unavailable:
                var size = 0
                var type = GIT_OBJECT_ANY
                try git2("diffing \(path) in commit \(commitID)", git_odb_read_header(&size, &type, odb, &id))
                if size > Int(maxDiffBytes) { return (nil, nil, true, true) }
            }
        }
        // The path matters only when a `diff` attribute is set for it (a diff driver, or binary). Without
        // one, libgit2 detects binary content itself, and diffing the blobs' bytes gives the same counts.
        // Diffing the blobs makes libgit2 look the attribute up on every call (for a made-up path when
        // none is given), stat-ing every attribute file: millions of failing syscalls on a large history.
        // So the attribute is looked up once per path, and only paths that have one are diffed as blobs.
        // Without one, the common edit (a run of lines replaced) is counted directly, the rest is diffed.
        let attributed = try diffAttributeSet(ch.path, path: path, commitID: commitID)
        var oldBlob: OpaquePointer?, newBlob: OpaquePointer?
        if var id = ch.old?.id, attributed || packed[0] == nil {
            oldBlob = try cache.lookup(&id, GIT_OBJECT_BLOB, what: "diffing \(path) in commit \(commitID)")
        }
        if var id = ch.new?.id, attributed || packed[1] == nil {
            newBlob = try cache.lookup(&id, GIT_OBJECT_BLOB, what: "diffing \(path) in commit \(commitID)")
        }
        // Over the size limit (a blob already held): binary and too large, as libgit2's diff marks it.
        let largest = max(oldBlob.map { git_blob_rawsize($0) } ?? 0, newBlob.map { git_blob_rawsize($0) } ?? 0)
        if largest > maxDiffBytes { return (nil, nil, true, true) }
        if attributed {
            // Counted from the hunk headers: with no context lines a hunk holds only changed lines, so
            // its line counts are the additions and deletions (what `git_patch_line_stats` would count,
            // without building the patch).
            var count = LineCount()
            let rc = (ch.path + [0]).withUnsafeBufferPointer { cpath in
                let c = UnsafeRawPointer(cpath.baseAddress!).assumingMemoryBound(to: CChar.self)
                return withUnsafeMutablePointer(to: &count) { payload in
                    git_diff_blobs(oldBlob, c, newBlob, c, &opts, Self.fileCallback, nil, Self.hunkCallback, nil, payload)
                }
            }
            try git2("diffing \(path) in commit \(commitID)", rc)
            if count.binary { return (nil, nil, true, false) }
            return (count.adds, count.dels, false, false)
        }
        let result = try Self.withContent(packed[0], oldBlob) { old in
            try Self.withContent(packed[1], newBlob) { new in
                let quick = GitLineCount.count(old: old, new: new)
                guard quick == .undecided else { return quick }
                let diffed = Self.diffBytes(old: old, new: new, opts: &opts)
                try git2("diffing \(path) in commit \(commitID)", diffed.rc)
                return diffed.result
            }
        }
        switch result {
        case .counted(let a, let d): return (a, d, false, false)
        default: return (nil, nil, true, false)
        }
    }

    /// A side's bytes: read from the pack, or held by libgit2's blob (none for a missing side).
    private static func withContent<R>(_ bytes: [UInt8]?, _ blob: OpaquePointer?,
                                       _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let bytes { return try bytes.withUnsafeBytes(body) }
        guard let blob, let p = git_blob_rawcontent(blob) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: p, count: Int(git_blob_rawsize(blob))))
    }

    /// Line stats of two buffers by libgit2's diff (as `git_diff_blobs` counts blobs without a `diff`
    /// attribute), with libgit2's return code.
    static func diffBytes(old: UnsafeRawBufferPointer, new: UnsafeRawBufferPointer, opts: inout git_diff_options)
        -> (rc: Int32, result: GitLineCount.Result)
    {
        var count = LineCount()
        let rc = withUnsafeMutablePointer(to: &count) { payload in
            git_diff_buffers(old.baseAddress, old.count, nil, new.baseAddress, new.count, nil,
                             &opts, Self.fileCallback, nil, Self.hunkCallback, nil, payload)
        }
        return (rc, count.binary ? .binary : .counted(additions: count.adds, deletions: count.dels))
    }

    /// Notes a binary file (the payload is a `LineCount`).
    private static let fileCallback: git_diff_file_cb = { delta, _, payload in
        if let delta, delta.pointee.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0 {
            payload!.assumingMemoryBound(to: LineCount.self).pointee.binary = true
        }
        return 0
    }

    /// Adds a hunk's lines (the payload is a `LineCount`).
    private static let hunkCallback: git_diff_hunk_cb = { _, hunk, payload in
        let p = payload!.assumingMemoryBound(to: LineCount.self)
        p.pointee.adds += Int64(hunk!.pointee.new_lines)
        p.pointee.dels += Int64(hunk!.pointee.old_lines)
        return 0
    }

    /// Paths whose `diff` attribute was looked up, and whether it is set (true, false or a driver name).
    private var diffAttributes: [[UInt8]: Bool] = [:]

    /// Whether the `diff` attribute is specified for `bytes` (looked up as libgit2's diff does: the
    /// attribute files of the repository, its working tree, the user's and the system's).
    private func diffAttributeSet(_ bytes: [UInt8], path: String, commitID: String) throws -> Bool {
        if let known = diffAttributes[bytes] { return known }
        var value: UnsafePointer<CChar>?
        try (bytes + [0]).withUnsafeBufferPointer { cpath in
            let c = UnsafeRawPointer(cpath.baseAddress!).assumingMemoryBound(to: CChar.self)
            try git2("reading the diff attribute of \(path) in commit \(commitID)", git_attr_get(&value, repo.pointer, 0, c, "diff"))
        }
        let set = git_attr_value(value) != GIT_ATTR_VALUE_UNSPECIFIED
        diffAttributes[bytes] = set
        return set
    }

    static func statusName(_ s: git_delta_t) -> String {
        switch s {
        case GIT_DELTA_ADDED: return "added"
        case GIT_DELTA_DELETED: return "deleted"
        case GIT_DELTA_MODIFIED: return "modified"
        case GIT_DELTA_RENAMED: return "renamed"
        case GIT_DELTA_COPIED: return "copied"
        case GIT_DELTA_TYPECHANGE: return "typechange"
        default: return "unknown"
        }
    }
}
