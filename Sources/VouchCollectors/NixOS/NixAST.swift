/// The syntax tree of a Nix expression. Every node keeps its byte range in the source
/// (`start..<end`); `NixLineTable` turns offsets into line and column.
public final class NixExpr: @unchecked Sendable {
    public enum Kind {
        case int(Int64)
        case float(Double)
        /// `"…"`: literal pieces (escapes decoded) and interpolations.
        case string([NixStringPart])
        /// `''…''`: after Nix's indentation stripping.
        case indentedString([NixStringPart])
        /// A path literal (`./a`, `/etc/x`, `~/x`, `./a/${b}.nix`).
        case path([NixStringPart])
        /// `<nixpkgs>`: the name between the angle brackets.
        case searchPath(String)
        case uri(String)
        case variable(String)
        /// `e.a.b` or `e.a.b or d`.
        case select(NixExpr, [NixAttrName], NixExpr?)
        /// `e ? a.b`
        case hasAttr(NixExpr, [NixAttrName])
        case list([NixExpr])
        case attrSet(recursive: Bool, [NixBinding])
        case letIn([NixBinding], NixExpr)
        /// The legacy `let { …; body = …; }`.
        case legacyLet([NixBinding])
        case with(NixExpr, NixExpr)
        case assert(NixExpr, NixExpr)
        case ifThenElse(NixExpr, NixExpr, NixExpr)
        indirect case lambda(NixLambdaParameter, NixExpr)
        case apply(NixExpr, NixExpr)
        case not(NixExpr)
        case negate(NixExpr)
        case binary(NixBinaryOperator, NixExpr, NixExpr)
    }

    // Offsets are stored as 32 bits (files are capped far below 4 GiB) and first, so a node fits a 64-byte block.
    private let start32: UInt32
    private let end32: UInt32
    public let kind: Kind

    public var start: Int { Int(start32) }
    public var end: Int { Int(end32) }

    public init(_ kind: Kind, _ start: Int, _ end: Int) {
        self.kind = kind
        self.start32 = UInt32(truncatingIfNeeded: start)
        self.end32 = UInt32(truncatingIfNeeded: end)
    }
}

/// A piece of a string or path: literal text, or `${expr}`.
public enum NixStringPart: Sendable {
    case literal(String)
    case interpolation(NixExpr)
}

/// One name in an attribute path: `a`, `"a b"`, `"${x}-y"` or `${x}`.
public enum NixAttrName: Sendable {
    case name(String)
    case string([NixStringPart])
    case dynamic(NixExpr)

    /// The plain name when it holds no interpolation.
    public var staticName: String? {
        switch self {
        case .name(let s): return s
        case .string(let parts):
            var out = ""
            for p in parts {
                guard case .literal(let s) = p else { return nil }
                out += s
            }
            return out
        case .dynamic: return nil
        }
    }
}

/// A binding in a set or `let`: `a.b = v;`, `inherit a b;`, `inherit (e) a b;`.
public struct NixBinding: Sendable {
    public enum Kind: Sendable {
        case assign([NixAttrName], NixExpr)
        case inherit(NixExpr?, [NixAttrName])
    }
    public var kind: Kind
    public var start: Int
    public var end: Int
}

/// A lambda's parameter: `x:`, `{ a, b ? 1, ... }:` or `args@{ a, ... }:`.
public struct NixLambdaParameter: Sendable {
    public struct Formal: Sendable {
        public var name: String
        public var defaultValue: NixExpr?
    }
    public var name: String?
    /// nil for a plain `x:` lambda.
    public var formals: [Formal]?
    public var ellipsis: Bool
}

public enum NixBinaryOperator: String, Sendable {
    case plus = "+", minus = "-", times = "*", divide = "/"
    case concat = "++", update = "//"
    case eq = "==", neq = "!=", lt = "<", gt = ">", leq = "<=", geq = ">="
    case and = "&&", or = "||", impl = "->"
}
