import CLibGit2
import Foundation
import VouchCore

/// The files that differ between two trees, found by walking both in step and skipping every
/// subtree whose id is the same on both sides (git trees are Merkle trees).
///
/// libgit2's `git_diff_tree_to_tree` expands every subtree of both sides, so its cost grows with
/// the size of the repository instead of the size of the change (libgit2 pull request #6863 is
/// still open); this walk reads only the trees on the changed paths, as raw tree objects (entries of
/// "<octal mode> <name>\0<20-byte id>", parsed in place). It answers only the plain cases: when a
/// commit could hold renames (something deleted and something added), a type change or a submodule,
/// `GitTreeDiff.changes` returns nil and the caller asks libgit2, whose rename detection then decides.
struct GitTreeDiff {
    /// One side of a changed file.
    struct Side {
        var id: git_oid
        var mode: UInt32
    }

    /// One changed file, with its full path (bytes, as stored in the tree).
    struct Change {
        var path: [UInt8]
        var old: Side?
        var new: Side?
    }

    /// A tree that cannot be parsed.
    struct Malformed: Error, LocalizedError {
        var tree: String
        /// The tree at this path (with its trailing slash; empty for the root).
        init(at prefix: [UInt8]) { tree = SafeText.from(bytes: prefix.isEmpty ? Array("/".utf8) : prefix) }
        var errorDescription: String? { "the tree at \(tree) is malformed; run `git fsck`" }
    }

    /// Reads the raw tree with this id (the path is for messages).
    let read: (UnsafePointer<git_oid>, [UInt8]) throws -> [UInt8]

    private static let typeMask: UInt32 = 0o170000
    private static let treeType: UInt32 = 0o040000
    private static let gitlinkType: UInt32 = 0o160000

    /// One entry of a raw tree, as offsets into its bytes.
    private struct Entry {
        var mode: UInt32
        var nameStart: Int
        var nameEnd: Int
        var id: Int
        var next: Int
        var isTree: Bool { mode & GitTreeDiff.typeMask == GitTreeDiff.treeType }
    }

    /// The changes from `old` to `new` (nil: the empty tree) in git's path order, or nil when
    /// libgit2 must decide (possible renames, type changes, submodules).
    func changes(old: [UInt8]?, new: [UInt8]?) throws -> [Change]? {
        var out: [Change] = []
        var sawAdded = false, sawDeleted = false
        guard try walk(old ?? [], new ?? [], prefix: [], into: &out, added: &sawAdded, deleted: &sawDeleted) else { return nil }
        if sawAdded && sawDeleted { return nil }
        return out
    }

    /// Walks one pair of trees; false when the pair holds something only libgit2 should judge.
    private func walk(_ a: [UInt8], _ b: [UInt8], prefix: [UInt8], into out: inout [Change],
                      added: inout Bool, deleted: inout Bool) throws -> Bool {
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                var ea = try Self.entry(pa, at: 0, prefix), eb = try Self.entry(pb, at: 0, prefix)
                while ea != nil || eb != nil {
                    let order: Int32
                    if let x = ea, let y = eb { order = Self.compare(pa, x, pb, y) } else { order = ea == nil ? 1 : -1 }
                    if order == 0, let x = ea, let y = eb {
                        ea = try Self.entry(pa, at: x.next, prefix)
                        eb = try Self.entry(pb, at: y.next, prefix)
                        let same = memcmp(pa.baseAddress! + x.id, pb.baseAddress! + y.id, 20) == 0
                        if same && x.mode == y.mode { continue }
                        let ta = x.mode & Self.typeMask, tb = y.mode & Self.typeMask
                        if ta == Self.gitlinkType || tb == Self.gitlinkType || ta != tb { return false }
                        let path = Self.join(prefix, pa, x)
                        if ta == Self.treeType {
                            var ida = Self.oid(pa, x), idb = Self.oid(pb, y)
                            let (sa, sb) = (try read(&ida, path), try read(&idb, path))
                            guard try walk(sa, sb, prefix: path + [0x2F], into: &out, added: &added, deleted: &deleted) else { return false }
                        } else {
                            out.append(Change(path: path, old: Self.side(pa, x), new: Self.side(pb, y)))
                        }
                    } else if order < 0, let x = ea {
                        ea = try Self.entry(pa, at: x.next, prefix)
                        guard try one(pa, x, prefix: prefix, isOld: true, into: &out) else { return false }
                        deleted = true
                    } else if let y = eb {
                        eb = try Self.entry(pb, at: y.next, prefix)
                        guard try one(pb, y, prefix: prefix, isOld: false, into: &out) else { return false }
                        added = true
                    }
                }
                return true
            }
        }
    }

    /// An entry present on one side only: a file, or every file under a folder.
    private func one(_ t: UnsafeBufferPointer<UInt8>, _ e: Entry, prefix: [UInt8], isOld: Bool, into out: inout [Change]) throws -> Bool {
        let path = Self.join(prefix, t, e)
        switch e.mode & Self.typeMask {
        case Self.gitlinkType:
            return false
        case Self.treeType:
            var id = Self.oid(t, e)
            let sub = try read(&id, path)
            let childPrefix = path + [0x2F]
            return try sub.withUnsafeBufferPointer { st in
                var child = try Self.entry(st, at: 0, childPrefix)
                while let c = child {
                    guard try one(st, c, prefix: childPrefix, isOld: isOld, into: &out) else { return false }
                    child = try Self.entry(st, at: c.next, childPrefix)
                }
                return true
            }
        default:
            let side = Self.side(t, e)
            out.append(isOld ? Change(path: path, old: side, new: nil) : Change(path: path, old: nil, new: side))
            return true
        }
    }

    /// The entry starting at byte `at`, nil at the end of the tree; throws when the bytes are not an entry.
    private static func entry(_ t: UnsafeBufferPointer<UInt8>, at: Int, _ prefix: [UInt8]) throws -> Entry? {
        guard at < t.count else { return nil }
        var i = at
        var mode: UInt32 = 0
        while i < t.count, t[i] != 0x20 {
            let digit = t[i] &- 0x30
            guard digit < 8, i - at < 7 else { throw Malformed(at: prefix) }
            mode = mode << 3 | UInt32(digit)
            i += 1
        }
        let nameStart = i + 1
        guard i > at, nameStart < t.count, let hit = memchr(t.baseAddress! + nameStart, 0, t.count - nameStart),
              case let nul = UnsafeRawPointer(hit) - UnsafeRawPointer(t.baseAddress!), nul > nameStart, nul + 21 <= t.count
        else { throw Malformed(at: prefix) }
        return Entry(mode: mode, nameStart: nameStart, nameEnd: nul, id: nul + 1, next: nul + 21)
    }

    private static func oid(_ t: UnsafeBufferPointer<UInt8>, _ e: Entry) -> git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: UnsafeRawBufferPointer(start: t.baseAddress! + e.id, count: 20)) }
        return oid
    }

    private static func side(_ t: UnsafeBufferPointer<UInt8>, _ e: Entry) -> Side {
        Side(id: oid(t, e), mode: e.mode)
    }

    private static func join(_ prefix: [UInt8], _ t: UnsafeBufferPointer<UInt8>, _ e: Entry) -> [UInt8] {
        var out = prefix
        out.reserveCapacity(prefix.count + e.nameEnd - e.nameStart + 1)
        out.append(contentsOf: t[e.nameStart..<e.nameEnd])
        return out
    }

    /// git's tree order: names compare bytewise, a folder as if its name ended in "/".
    private static func compare(_ ta: UnsafeBufferPointer<UInt8>, _ a: Entry, _ tb: UnsafeBufferPointer<UInt8>, _ b: Entry) -> Int32 {
        let la = a.nameEnd - a.nameStart, lb = b.nameEnd - b.nameStart
        let c = memcmp(ta.baseAddress! + a.nameStart, tb.baseAddress! + b.nameStart, min(la, lb))
        if c != 0 { return c }
        let ca: UInt8 = la > lb ? ta[a.nameStart + lb] : (a.isTree ? 0x2F : 0)
        let cb: UInt8 = lb > la ? tb[b.nameStart + la] : (b.isTree ? 0x2F : 0)
        return ca < cb ? -1 : (ca > cb ? 1 : 0)
    }
}
