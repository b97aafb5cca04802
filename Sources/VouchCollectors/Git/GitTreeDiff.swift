import CLibGit2
import Foundation
import VouchCore

/// The files that differ between two trees, found by walking both in step and skipping every
/// subtree whose id is the same on both sides (git trees are Merkle trees).
///
/// libgit2's `git_diff_tree_to_tree` expands every subtree of both sides, so its cost grows with
/// the size of the repository instead of the size of the change (libgit2 pull request #6863 is
/// still open); this walk reads only the trees on the changed paths. It answers only the plain
/// cases: when a commit could hold renames (something deleted and something added), a type
/// change or a submodule, `GitTreeDiff.changes` returns nil and the caller asks libgit2, whose
/// rename detection then decides.
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

    let cache: GitObjectCache

    private static let typeMask: UInt32 = 0o170000
    private static let treeType: UInt32 = 0o040000
    private static let gitlinkType: UInt32 = 0o160000

    /// The changes from `old` to `new` (nil: the empty tree) in git's path order, or nil when
    /// libgit2 must decide (possible renames, type changes, submodules).
    func changes(old: OpaquePointer?, new: OpaquePointer?) throws -> [Change]? {
        var out: [Change] = []
        var sawAdded = false, sawDeleted = false
        guard try walk(old, new, prefix: [], into: &out, added: &sawAdded, deleted: &sawDeleted) else { return nil }
        if sawAdded && sawDeleted { return nil }
        return out
    }

    /// Walks one pair of trees; false when the pair holds something only libgit2 should judge.
    private func walk(_ a: OpaquePointer?, _ b: OpaquePointer?, prefix: [UInt8], into out: inout [Change],
                      added: inout Bool, deleted: inout Bool) throws -> Bool {
        let na = a.map { git_tree_entrycount($0) } ?? 0
        let nb = b.map { git_tree_entrycount($0) } ?? 0
        var i = 0, j = 0
        while i < na || j < nb {
            let ea = i < na ? git_tree_entry_byindex(a, i) : nil
            let eb = j < nb ? git_tree_entry_byindex(b, j) : nil
            let order: Int32
            if let ea, let eb { order = Self.compare(ea, eb) } else { order = ea == nil ? 1 : -1 }
            if order == 0, let ea, let eb {
                i += 1; j += 1
                let ma = git_tree_entry_filemode_raw(ea).rawValue, mb = git_tree_entry_filemode_raw(eb).rawValue
                let same = git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) == 1
                if same && ma == mb { continue }
                let ta = ma & Self.typeMask, tb = mb & Self.typeMask
                if ta == Self.gitlinkType || tb == Self.gitlinkType || ta != tb { return false }
                let path = Self.join(prefix, ea)
                if ta == Self.treeType {
                    let (ta, tb) = (try lookup(ea, path), try lookup(eb, path))
                    guard try walk(ta, tb, prefix: path + [0x2F], into: &out, added: &added, deleted: &deleted) else { return false }
                } else {
                    out.append(Change(path: path, old: Self.side(ea), new: Self.side(eb)))
                }
            } else if order < 0, let ea {
                i += 1
                guard try one(ea, prefix: prefix, isOld: true, into: &out) else { return false }
                deleted = true
            } else if let eb {
                j += 1
                guard try one(eb, prefix: prefix, isOld: false, into: &out) else { return false }
                added = true
            }
        }
        return true
    }

    /// An entry present on one side only: a file, or every file under a folder.
    private func one(_ e: OpaquePointer, prefix: [UInt8], isOld: Bool, into out: inout [Change]) throws -> Bool {
        let mode = git_tree_entry_filemode_raw(e).rawValue
        let path = Self.join(prefix, e)
        switch mode & Self.typeMask {
        case Self.gitlinkType:
            return false
        case Self.treeType:
            let t = try lookup(e, path)
            for k in 0..<git_tree_entrycount(t) {
                guard let child = git_tree_entry_byindex(t, k) else { continue }
                guard try one(child, prefix: path + [0x2F], isOld: isOld, into: &out) else { return false }
            }
            return true
        default:
            out.append(isOld ? Change(path: path, old: Self.side(e), new: nil) : Change(path: path, old: nil, new: Self.side(e)))
            return true
        }
    }

    private func lookup(_ e: OpaquePointer, _ path: [UInt8]) throws -> OpaquePointer {
        try cache.lookup(git_tree_entry_id(e), GIT_OBJECT_TREE,
                         what: "reading the tree \(oidHex(git_tree_entry_id(e))) at \(SafeText.from(bytes: path))")
    }

    private static func side(_ e: OpaquePointer) -> Side {
        Side(id: git_tree_entry_id(e).pointee, mode: git_tree_entry_filemode_raw(e).rawValue)
    }

    private static func join(_ prefix: [UInt8], _ e: OpaquePointer) -> [UInt8] {
        let name = git_tree_entry_name(e)!
        let n = strlen(name)
        var out = prefix
        out.reserveCapacity(prefix.count + n + 1)
        name.withMemoryRebound(to: UInt8.self, capacity: n) { out.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
        return out
    }

    /// git's tree order: names compare bytewise, a folder as if its name ended in "/".
    private static func compare(_ a: OpaquePointer, _ b: OpaquePointer) -> Int32 {
        let pa = git_tree_entry_name(a)!, pb = git_tree_entry_name(b)!
        let la = strlen(pa), lb = strlen(pb)
        let c = memcmp(pa, pb, min(la, lb))
        if c != 0 { return c }
        let ca: UInt8 = la > lb ? UInt8(bitPattern: pa[lb]) : (git_tree_entry_type(a) == GIT_OBJECT_TREE ? 0x2F : 0)
        let cb: UInt8 = lb > la ? UInt8(bitPattern: pb[la]) : (git_tree_entry_type(b) == GIT_OBJECT_TREE ? 0x2F : 0)
        return ca < cb ? -1 : (ca > cb ? 1 : 0)
    }
}
