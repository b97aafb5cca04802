/// Works out the value of an expression when it is made of literals and constants only:
/// `let` bindings, `toString`, interpolation of strings, integer arithmetic, `++`, `//`,
/// selection from constant sets, `if` on a constant. Anything else is nil: Vouch never guesses.
struct NixResolver {
    var steps = 0
    static let maxSteps = 20_000

    mutating func resolve(_ e: NixExpr, _ scope: NixScope?) -> NixValue? {
        steps += 1
        guard steps < Self.maxSteps else { return nil }
        switch e.kind {
        case .int(let v): return .int(v)
        case .float(let v): return .float(v)
        case .string(let parts), .indentedString(let parts):
            return concat(parts, scope).map(NixValue.string)
        case .path(let parts):
            return concat(parts, scope).map(NixValue.path)
        case .uri(let s): return .string(s)
        case .variable(let name): return variable(name, scope)
        case .list(let items):
            var out: [NixValue] = []
            for i in items {
                guard let v = resolve(i, scope) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .attrSet(let rec, let binds):
            let inner = rec ? NixScope.bindings(binds, parent: scope) : scope
            return set(binds, scope: inner, inheritScope: scope)
        case .letIn(let binds, let body):
            return resolve(body, NixScope.bindings(binds, parent: scope))
        case .select(let base, let names, let def):
            if let b = resolve(base, scope), let v = select(b, names, scope) { return v }
            if let def, let b = resolve(base, scope), case .set = b, select(b, names, scope) == nil,
               names.allSatisfy({ $0.staticName != nil }) {
                return resolve(def, scope)
            }
            return nil
        case .ifThenElse(let c, let t, let f):
            guard case .bool(let cond)? = resolve(c, scope) else { return nil }
            return resolve(cond ? t : f, scope)
        case .not(let x):
            guard case .bool(let v)? = resolve(x, scope) else { return nil }
            return .bool(!v)
        case .negate(let x):
            guard case .int(let v)? = resolve(x, scope), v != .min else { return nil }
            return .int(-v)
        case .binary(let op, let a, let b):
            return binary(op, a, b, scope)
        case .apply(let f, let x):
            return apply(f, x, scope)
        default:
            return nil
        }
    }

    mutating func variable(_ name: String, _ scope: NixScope?) -> NixValue? {
        switch scope?.lookup(name) ?? .some(nil) {
        case .none: return nil
        case .some(nil):
            switch name {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: return nil
            }
        case .some(let slot?):
            if slot.state == 2 { return slot.value }
            guard slot.state == 0, let expr = slot.expr else { return nil }
            slot.state = 1
            let v = resolve(expr, slot.scope)
            slot.value = v
            slot.state = 2
            return v
        }
    }

    mutating func concat(_ parts: [NixStringPart], _ scope: NixScope?) -> String? {
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .interpolation(let e):
                // Only strings interpolate as they are (paths would be copied to the store; numbers are errors).
                guard case .string(let s)? = resolve(e, scope) else { return nil }
                out += s
            }
        }
        return out
    }

    mutating func set(_ binds: [NixBinding], scope: NixScope?, inheritScope: NixScope?) -> NixValue? {
        var out: [String: NixValue] = [:]
        for bnd in binds {
            switch bnd.kind {
            case .assign(let path, let value):
                var keys: [String] = []
                for n in path {
                    guard let k = attrName(n, scope) else { return nil }
                    keys.append(k)
                }
                guard let v = resolve(value, scope), Self.insert(&out, keys[...], v) else { return nil }
            case .inherit(let from, let names):
                for n in names {
                    guard let k = n.staticName else { return nil }
                    let v: NixValue?
                    if let from {
                        guard let f = resolve(from, inheritScope) else { return nil }
                        v = select(f, [.name(k)], inheritScope)
                    } else {
                        v = variable(k, inheritScope)
                    }
                    guard let v, out[k] == nil else { return nil }
                    out[k] = v
                }
            }
        }
        return .set(out)
    }

    /// Inserts a value at a key path, merging nested sets as Nix does; false on a clash.
    static func insert(_ out: inout [String: NixValue], _ keys: ArraySlice<String>, _ v: NixValue) -> Bool {
        guard let k = keys.first else { return false }
        if keys.count == 1 {
            switch (out[k], v) {
            case (nil, _): out[k] = v; return true
            case (.set(var old)?, .set(let new)):
                for (nk, nv) in new { guard insert(&old, [nk], nv) else { return false } }
                out[k] = .set(old)
                return true
            default: return false
            }
        }
        var inner: [String: NixValue]
        switch out[k] {
        case nil: inner = [:]
        case .set(let s)?: inner = s
        default: return false
        }
        guard insert(&inner, keys.dropFirst(), v) else { return false }
        out[k] = .set(inner)
        return true
    }

    mutating func attrName(_ n: NixAttrName, _ scope: NixScope?) -> String? {
        switch n {
        case .name(let s): return s
        case .string(let parts): return concat(parts, scope)
        case .dynamic(let e):
            guard case .string(let s)? = resolve(e, scope) else { return nil }
            return s
        }
    }

    mutating func select(_ base: NixValue, _ names: [NixAttrName], _ scope: NixScope?) -> NixValue? {
        var v = base
        for n in names {
            guard case .set(let o) = v, let k = attrName(n, scope), let next = o[k] else { return nil }
            v = next
        }
        return v
    }

    mutating func binary(_ op: NixBinaryOperator, _ a: NixExpr, _ b: NixExpr, _ scope: NixScope?) -> NixValue? {
        guard let x = resolve(a, scope) else { return nil }
        if op == .and, case .bool(false) = x { return .bool(false) }
        if op == .or, case .bool(true) = x { return .bool(true) }
        guard let y = resolve(b, scope) else { return nil }
        switch (op, x, y) {
        case (.plus, .int(let p), .int(let q)): let (r, o) = p.addingReportingOverflow(q); return o ? nil : .int(r)
        case (.minus, .int(let p), .int(let q)): let (r, o) = p.subtractingReportingOverflow(q); return o ? nil : .int(r)
        case (.times, .int(let p), .int(let q)): let (r, o) = p.multipliedReportingOverflow(by: q); return o ? nil : .int(r)
        case (.divide, .int(let p), .int(let q)): return q == 0 || (p == .min && q == -1) ? nil : .int(p / q)
        case (.plus, .string(let p), .string(let q)): return .string(p + q)
        case (.concat, .list(let p), .list(let q)): return .list(p + q)
        case (.update, .set(let p), .set(let q)): return .set(p.merging(q) { _, new in new })
        case (.and, .bool(let p), .bool(let q)): return .bool(p && q)
        case (.or, .bool(let p), .bool(let q)): return .bool(p || q)
        case (.impl, .bool(let p), .bool(let q)): return .bool(!p || q)
        case (.eq, _, _) where Self.comparable(x, y): return .bool(x == y)
        case (.neq, _, _) where Self.comparable(x, y): return .bool(x != y)
        case (.lt, .int(let p), .int(let q)): return .bool(p < q)
        case (.gt, .int(let p), .int(let q)): return .bool(p > q)
        case (.leq, .int(let p), .int(let q)): return .bool(p <= q)
        case (.geq, .int(let p), .int(let q)): return .bool(p >= q)
        default: return nil
        }
    }

    /// Equality Vouch can decide exactly (no floats against ints, no paths).
    static func comparable(_ x: NixValue, _ y: NixValue) -> Bool {
        switch (x, y) {
        case (.null, _), (_, .null), (.bool, .bool), (.int, .int), (.string, .string): return true
        default: return false
        }
    }

    /// `toString c` / `builtins.toString c` of a constant.
    mutating func apply(_ f: NixExpr, _ x: NixExpr, _ scope: NixScope?) -> NixValue? {
        guard Self.functionName(f, scope) == "toString" else { return nil }
        guard let v = resolve(x, scope) else { return nil }
        return Self.toString(v).map(NixValue.string)
    }

    static func toString(_ v: NixValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "1" : ""
        case .null: return ""
        case .list(let items):
            var parts: [String] = []
            for i in items {
                guard let s = toString(i) else { return nil }
                parts.append(s)
            }
            return parts.joined(separator: " ")
        case .float, .path, .set: return nil
        }
    }

    /// The name a function is called by when it is a well-known library function:
    /// `f`, `lib.f`, `builtins.f`, `pkgs.lib.f`, `lib.modules.f` (not shadowed locally).
    static func functionName(_ f: NixExpr, _ scope: NixScope?) -> String? {
        switch f.kind {
        case .variable(let n):
            if case .some(.some) = scope?.lookup(n) ?? .some(nil) { return nil }
            return n
        case .select(let base, let names, nil):
            guard let last = names.last?.staticName else { return nil }
            var root = base
            while case .select(let inner, _, nil) = root.kind { root = inner }
            guard case .variable(let r) = root.kind, ["lib", "builtins", "pkgs", "nixpkgs", "inputs"].contains(r) else { return nil }
            return last
        default:
            return nil
        }
    }
}
