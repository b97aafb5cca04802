/// Nix's rule for repeated attributes in one set or `let`: `a.b = 1; a.c = 2;` and
/// `a = { b = 1; }; a.c = 2;` merge; defining the same attribute twice is an error
/// ("attribute 'a.b' already defined"), as `nix-instantiate --parse` reports it.
extension NixParser {
    final class AttrNode {
        struct Entry {
            var offset: Int
            /// A literal set given as the value (its names are read only if something merges into it).
            var literal: [NixBinding]?
            var node: AttrNode?
        }
        var entries: [String: Entry] = [:]
    }

    func checkDuplicates(_ binds: [NixBinding]) throws {
        guard binds.count > 1, Self.firstNamesRepeat(binds) else { return }
        let root = AttrNode()
        for b in binds { try insert(b, into: root) }
    }

    /// Errors name the binding's own path, as Nix does (`a.b`, or `b` for a clash inside merged sets).
    /// `strict`: merging a literal set into an existing one, where Nix allows no clash at its first level.
    private func insert(_ b: NixBinding, into root: AttrNode, strict: Bool = false) throws {
        switch b.kind {
        case .inherit(_, let names):
            for n in names {
                guard let name = n.staticName else { continue }
                if let old = root.entries[name] { throw duplicate([name], at: b.start, first: old.offset) }
                root.entries[name] = AttrNode.Entry(offset: b.start, literal: nil, node: nil)
            }
        case .assign(let path, let value):
            var node = root
            let shown = path.map { $0.staticName ?? "${…}" }
            if strict, let first = path.first?.staticName, let old = root.entries[first] {
                throw duplicate([first], at: b.start, first: old.offset)
            }
            for (i, n) in path.enumerated() {
                guard let name = n.staticName else { return }   // dynamic names are checked when evaluated
                let last = i == path.count - 1
                var literal: [NixBinding]?
                if last, case .attrSet(_, let inner) = value.kind { literal = inner }
                guard var entry = node.entries[name] else {
                    if last {
                        node.entries[name] = AttrNode.Entry(offset: b.start, literal: literal, node: nil)
                    } else {
                        let child = AttrNode()
                        node.entries[name] = AttrNode.Entry(offset: b.start, literal: nil, node: child)
                        node = child
                    }
                    continue
                }
                // The name exists: it must be a set on both sides to merge.
                if entry.node == nil, let lit = entry.literal {
                    let child = AttrNode()
                    for inner in lit { try insert(inner, into: child) }
                    entry.node = child
                    node.entries[name] = entry
                }
                guard let child = entry.node, !last || literal != nil else {
                    throw duplicate(shown, at: b.start, first: entry.offset)
                }
                if last {
                    for inner in literal! { try insert(inner, into: child, strict: true) }
                }
                node = child
            }
        }
    }

    /// The fast path: only when some first name repeats can anything clash (or merge).
    static func firstNamesRepeat(_ binds: [NixBinding]) -> Bool {
        var names: [String] = []
        names.reserveCapacity(binds.count)
        for b in binds {
            switch b.kind {
            case .assign(let path, _): if let n = path.first?.staticName { names.append(n) }
            case .inherit(_, let ns): for n in ns { if let s = n.staticName { names.append(s) } }
            }
        }
        if names.count <= 12 {
            for i in 0..<names.count { for j in (i + 1)..<names.count where names[i] == names[j] { return true } }
            return false
        }
        var seen = Set<String>(minimumCapacity: names.count)
        for n in names where !seen.insert(n).inserted { return true }
        return false
    }

    private func duplicate(_ path: [String], at offset: Int, first: Int) -> Failure {
        let loc = NixLineTable(b).location(first)
        return Failure(offset: offset, message: "attribute '\(path.joined(separator: "."))' already defined at line \(loc.line), column \(loc.column)")
    }
}
