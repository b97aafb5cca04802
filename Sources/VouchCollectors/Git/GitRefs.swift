import CLibGit2
import Foundation
import VouchCore

/// One reference of a repository.
struct GitRefFacts: Sendable {
    var name: String
    var target: String?
    var type: String
    /// The commit the ref finally points to (through annotated tags and symbolic refs).
    var commit: String?
    var peeled: String?
    var symbolic: String?
}

extension Git2Repository {
    /// Every reference plus HEAD, sorted by name.
    func references() throws -> [GitRefFacts] {
        var out: [GitRefFacts] = []
        var it: OpaquePointer?
        try git2("listing the references of \(path)", git_reference_iterator_new(&it, pointer))
        defer { git_reference_iterator_free(it) }
        while true {
            var ref: OpaquePointer?
            let rc = git_reference_next(&ref, it)
            if rc == GIT_ITEROVER.rawValue { break }
            try git2("reading a reference of \(path)", rc)
            guard let ref else { continue }
            out.append(describe(ref))
            git_reference_free(ref)
        }
        var head: OpaquePointer?
        if git_reference_lookup(&head, pointer, "HEAD") == 0, let head {
            out.append(describe(head))
            git_reference_free(head)
        }
        return out.sorted { $0.name < $1.name }
    }

    private func describe(_ ref: OpaquePointer) -> GitRefFacts {
        let name = SafeText.from(bytes: cBytes(git_reference_name(ref)))
        let type: String
        if name == "HEAD" { type = "head" }
        else if name.hasPrefix("refs/heads/") { type = "branch" }
        else if name.hasPrefix("refs/remotes/") { type = "remote" }
        else if name.hasPrefix("refs/tags/") { type = "tag" }
        else if name.hasPrefix("refs/notes/") { type = "note" }
        else { type = "other" }
        var facts = GitRefFacts(name: name, target: nil, type: type, commit: nil, peeled: nil, symbolic: nil)
        if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC {
            facts.symbolic = SafeText.from(bytes: cBytes(git_reference_symbolic_target(ref)))
            var resolved: OpaquePointer?
            if git_reference_resolve(&resolved, ref) == 0, let resolved {
                facts.target = git_reference_target(resolved).map { oidHex($0) }
                git_reference_free(resolved)
            }
        } else {
            facts.target = git_reference_target(ref).map { oidHex($0) }
        }
        var obj: OpaquePointer?
        if git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0, let obj {
            let commit = oidHex(git_object_id(obj))
            facts.commit = commit
            if commit != facts.target { facts.peeled = commit }
            git_object_free(obj)
        }
        return facts
    }
}

/// Which refs a capture walks, and which is the main branch.
struct GitScope {
    /// Branch patterns (fnmatch, against `main`, `origin/main` or the full ref name); empty = all refs.
    var branches: [String]
    var main: String?

    /// The refs to walk: all refs except notes and the stash, or those the patterns select.
    func selected(_ refs: [GitRefFacts]) -> [GitRefFacts] {
        refs.filter { ref in
            guard ref.commit != nil, ref.type != "note", ref.name != "refs/stash" else { return false }
            if branches.isEmpty { return true }
            if ref.type == "head" { return false }
            return branches.contains { Self.matches($0, ref.name) }
        }
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        var candidates = [name]
        for prefix in ["refs/heads/", "refs/remotes/", "refs/tags/"] where name.hasPrefix(prefix) {
            candidates.append(String(name.dropFirst(prefix.count)))
        }
        return candidates.contains { fnmatch(pattern, $0, 0) == 0 }
    }

    /// The main branch's ref: the profile's `main`, else main, master, origin's HEAD, or HEAD's branch.
    func mainRef(_ refs: [GitRefFacts]) -> GitRefFacts? {
        let byName = Dictionary(refs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        if let main {
            for name in [main, "refs/heads/\(main)", "refs/remotes/\(main)", "refs/remotes/origin/\(main)"] {
                if let r = byName[name], r.commit != nil { return r }
            }
            return nil
        }
        for name in ["refs/heads/main", "refs/heads/master"] { if let r = byName[name], r.commit != nil { return r } }
        if let sym = byName["refs/remotes/origin/HEAD"]?.symbolic, let r = byName[sym], r.commit != nil { return r }
        for name in ["refs/remotes/origin/main", "refs/remotes/origin/master"] { if let r = byName[name], r.commit != nil { return r } }
        if let sym = byName["HEAD"]?.symbolic, let r = byName[sym], r.commit != nil { return r }
        return byName["HEAD"].flatMap { $0.commit != nil ? $0 : nil }
    }
}
