/// Prints a syntax tree as a compact S-expression, e.g. `(+ 1 (* 2 3))`: the form the
/// parser tests compare against, and what `vouch nix-parse --print` shows.
///
/// Forms: `(app f x)`, `(. e a b)`, `(. e a (or d))`, `(? e a)`, `[a b]`, `(set (= (a b) v) (inherit x) (inherit-from e x))`,
/// `(rec …)`, `(let (bindings…) body)`, `(with e body)`, `(assert c body)`, `(if c t e)`,
/// `(fn x body)`, `(fn {a (b 1) ...}@x body)`, `(! e)`, `(neg e)`, `(str "a" x)`, `(ind "a" x)`,
/// `(path "./a")`, `<nixpkgs>`, `(uri "…")`; a string without interpolation prints as `"text"`.
public enum NixPrinter {
    public static func sexpr(_ e: NixExpr) -> String {
        var out = ""
        write(e, into: &out)
        return out
    }

    static func write(_ e: NixExpr, into out: inout String) {
        switch e.kind {
        case .int(let v): out += String(v)
        case .float(let v): out += "\(v)"
        case .string(let parts): writeParts("str", parts, into: &out)
        case .indentedString(let parts): writeParts("ind", parts, into: &out, alwaysTagged: true)
        case .path(let parts): writeParts("path", parts, into: &out, alwaysTagged: true)
        case .searchPath(let s): out += "<\(s)>"
        case .uri(let s): out += "(uri "; quote(s, into: &out); out += ")"
        case .variable(let name): out += name
        case .select(let base, let names, let def):
            out += "(. "
            write(base, into: &out)
            writeNames(names, into: &out)
            if let def { out += " (or "; write(def, into: &out); out += ")" }
            out += ")"
        case .hasAttr(let base, let names):
            out += "(? "
            write(base, into: &out)
            writeNames(names, into: &out)
            out += ")"
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += " " }
                write(item, into: &out)
            }
            out += "]"
        case .attrSet(let rec, let binds):
            out += rec ? "(rec" : "(set"
            writeBindings(binds, into: &out)
            out += ")"
        case .letIn(let binds, let body):
            out += "(let ("
            writeBindings(binds, into: &out, leadingSpace: false)
            out += ") "
            write(body, into: &out)
            out += ")"
        case .legacyLet(let binds):
            out += "(let-set"
            writeBindings(binds, into: &out)
            out += ")"
        case .with(let a, let b): binary("with", a, b, into: &out)
        case .assert(let a, let b): binary("assert", a, b, into: &out)
        case .ifThenElse(let c, let t, let f):
            out += "(if "
            write(c, into: &out); out += " "
            write(t, into: &out); out += " "
            write(f, into: &out); out += ")"
        case .lambda(let p, let body):
            out += "(fn "
            if let formals = p.formals {
                out += "{"
                var first = true
                for f in formals {
                    if !first { out += " " }
                    first = false
                    if let d = f.defaultValue {
                        out += "(\(f.name) "; write(d, into: &out); out += ")"
                    } else {
                        out += f.name
                    }
                }
                if p.ellipsis { out += first ? "..." : " ..." }
                out += "}"
                if let n = p.name { out += "@\(n)" }
            } else {
                out += p.name ?? "_"
            }
            out += " "
            write(body, into: &out)
            out += ")"
        case .apply(let f, let x): binary("app", f, x, into: &out)
        case .not(let x): out += "(! "; write(x, into: &out); out += ")"
        case .negate(let x): out += "(neg "; write(x, into: &out); out += ")"
        case .binary(let op, let a, let b): binary(op.rawValue, a, b, into: &out)
        }
    }

    static func binary(_ tag: String, _ a: NixExpr, _ b: NixExpr, into out: inout String) {
        out += "(\(tag) "
        write(a, into: &out)
        out += " "
        write(b, into: &out)
        out += ")"
    }

    static func writeParts(_ tag: String, _ parts: [NixStringPart], into out: inout String, alwaysTagged: Bool = false) {
        if !alwaysTagged, parts.count <= 1 {
            if case .literal(let s)? = parts.first { quote(s, into: &out); return }
            if parts.isEmpty { out += "\"\""; return }
        }
        out += "(\(tag)"
        for p in parts {
            out += " "
            switch p {
            case .literal(let s): quote(s, into: &out)
            case .interpolation(let e): write(e, into: &out)
            }
        }
        out += ")"
    }

    static func writeNames(_ names: [NixAttrName], into out: inout String) {
        for n in names {
            out += " "
            writeName(n, into: &out)
        }
    }

    static func writeName(_ n: NixAttrName, into out: inout String) {
        switch n {
        case .name(let s): out += s
        case .string(let parts): writeParts("str", parts, into: &out)
        case .dynamic(let e): out += "(${} "; write(e, into: &out); out += ")"
        }
    }

    static func writeBindings(_ binds: [NixBinding], into out: inout String, leadingSpace: Bool = true) {
        for (i, bnd) in binds.enumerated() {
            if leadingSpace || i > 0 { out += " " }
            switch bnd.kind {
            case .assign(let path, let value):
                out += "(= ("
                for (k, n) in path.enumerated() {
                    if k > 0 { out += " " }
                    writeName(n, into: &out)
                }
                out += ") "
                write(value, into: &out)
                out += ")"
            case .inherit(let from, let names):
                if let from {
                    out += "(inherit-from "
                    write(from, into: &out)
                } else {
                    out += "(inherit"
                }
                writeNames(names, into: &out)
                out += ")"
            }
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
