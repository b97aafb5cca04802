import VouchCore

/// A value Vouch could work out without evaluating Nix: a plain literal or a constant.
enum NixValue: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case path(String)
    case list([NixValue])
    case set([String: NixValue])

    var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let v): return .bool(v)
        case .int(let v): return .int(v)
        case .float(let v): return .double(v)
        case .string(let s), .path(let s): return .string(s)
        case .list(let a): return .array(a.map(\.json))
        case .set(let o): return .object(o.mapValues(\.json))
        }
    }

    /// The plain scalar for `value_text` (nil for lists and sets).
    var plainText: String? {
        switch self {
        case .null: return nil
        case .bool(let v): return v ? "true" : "false"
        case .int(let v): return String(v)
        case .float(let v): return JSONValue.double(v).canonicalText
        case .string(let s), .path(let s): return s
        case .list, .set: return nil
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .path: return "path"
        case .list: return "list"
        case .set: return "set"
        }
    }
}

/// A lexical scope: `let` and `rec` bindings (lazily resolved), lambda arguments (unknown), or a `with`.
final class NixScope {
    final class Slot {
        let expr: NixExpr?
        let scope: NixScope?
        var state: UInt8 = 0   // 0 pending, 1 resolving, 2 done
        var value: NixValue?
        init(expr: NixExpr?, scope: NixScope?) { self.expr = expr; self.scope = scope }
    }

    let parent: NixScope?
    let isWith: Bool
    var names: [String: Slot] = [:]

    init(parent: NixScope?, isWith: Bool = false) {
        self.parent = parent
        self.isWith = isWith
    }

    /// A scope holding `let`/`rec` bindings; nested paths (`a.b = 1;`) make `a` unknown rather than guessed.
    static func bindings(_ binds: [NixBinding], parent: NixScope?) -> NixScope {
        let s = NixScope(parent: parent)
        for bnd in binds {
            switch bnd.kind {
            case .assign(let path, let value):
                guard let first = path.first?.staticName else { continue }
                s.names[first] = path.count == 1 ? Slot(expr: value, scope: s) : Slot(expr: nil, scope: nil)
            case .inherit(let from, let names):
                for n in names {
                    guard let name = n.staticName else { continue }
                    if let from {
                        let sel = NixExpr(.select(from, [.name(name)], nil), from.start, from.end)
                        s.names[name] = Slot(expr: sel, scope: parent)
                    } else {
                        s.names[name] = Slot(expr: NixExpr(.variable(name), bnd.start, bnd.end), scope: parent)
                    }
                }
            }
        }
        return s
    }

    /// Lambda arguments: present, never known.
    static func arguments(_ p: NixLambdaParameter, parent: NixScope?) -> NixScope {
        let s = NixScope(parent: parent)
        if let n = p.name { s.names[n] = Slot(expr: nil, scope: nil) }
        for f in p.formals ?? [] { s.names[f.name] = Slot(expr: nil, scope: nil) }
        return s
    }

    /// Finds a name as Nix does: lexical bindings first (anywhere up the chain), then `with`s.
    /// Returns nil when the name may come from a `with` (so it cannot be known).
    func lookup(_ name: String) -> Slot?? {
        var s: NixScope? = self
        var sawWith = false
        while let cur = s {
            if cur.isWith { sawWith = true } else if let slot = cur.names[name] { return .some(slot) }
            s = cur.parent
        }
        return sawWith ? .none : .some(nil)
    }
}
