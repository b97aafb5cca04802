/// Operators, application and selection: Nix's precedence table, lowest first:
/// `->` (right), `||`, `&&`, `== !=` (none), `< > <= >=` (none), `//` (right), `!`,
/// `+ -`, `* /`, `++` (right), `?` (none), unary `-`; then application, then `.`.
extension NixParser {
    enum Assoc { case left, right, none }

    /// Binding level, associativity and operator of a binary-operator token (nil otherwise).
    @inline(__always)
    static func binaryInfo(_ k: NixTokenKind) -> (level: Int, assoc: Assoc, op: NixBinaryOperator?)? {
        switch k {
        case .impl: return (1, .right, .impl)
        case .or: return (2, .left, .or)
        case .and: return (3, .left, .and)
        case .eq: return (4, .none, .eq)
        case .neq: return (4, .none, .neq)
        case .lt: return (5, .none, .lt)
        case .gt: return (5, .none, .gt)
        case .leq: return (5, .none, .leq)
        case .geq: return (5, .none, .geq)
        case .update: return (6, .right, .update)
        case .plus: return (8, .left, .plus)
        case .minus: return (8, .left, .minus)
        case .star: return (9, .left, .times)
        case .slash: return (9, .left, .divide)
        case .concat: return (10, .right, .concat)
        case .question: return (11, .none, nil)
        default: return nil
        }
    }

    static let notLevel = 7
    static let negateLevel = 12

    /// An operator expression whose operators all bind at least as tightly as `minLevel`.
    mutating func parseOp(_ minLevel: Int) throws -> NixExpr {
        try enter()
        defer { depth -= 1 }
        var lhs: NixExpr
        let start = cur.start
        if cur.kind == .not {
            try advance()
            let e = try parseOp(Self.notLevel + 1)
            lhs = NixExpr(.not(e), start, e.end)
        } else if cur.kind == .minus {
            try advance()
            let e = try parseOp(Self.negateLevel + 1)
            lhs = NixExpr(.negate(e), start, e.end)
        } else {
            lhs = try parseApp()
        }
        var lastNonAssoc = -1
        while let info = Self.binaryInfo(cur.kind), info.level >= minLevel {
            if info.assoc == .none, info.level == lastNonAssoc {
                throw Failure(offset: cur.start, message: "syntax error: \(cur.kind.display) is not associative; add parentheses")
            }
            try advance()
            if info.op == nil {
                let path = try parseAttrPath()
                lhs = NixExpr(.hasAttr(lhs, path.names), lhs.start, path.end)
            } else {
                let rhs = try parseOp(info.assoc == .right ? info.level : info.level + 1)
                lhs = NixExpr(.binary(info.op!, lhs, rhs), lhs.start, rhs.end)
            }
            lastNonAssoc = info.assoc == .none ? info.level : -1
        }
        return lhs
    }

    /// Whether a token can start an argument of a function application.
    @inline(__always)
    static func startsArgument(_ k: NixTokenKind) -> Bool {
        switch k {
        case .identifier, .integer, .float, .stringOpen, .indStringOpen, .pathStart, .searchPath, .uri,
             .lparen, .lbracket, .lbrace, .kwRec:
            return true
        default:
            return false
        }
    }

    /// `f a b …`: left-associative application of selections.
    mutating func parseApp() throws -> NixExpr {
        var f = try parseSelect()
        while try Self.startsArgument(cur.kind) || (cur.kind == .kwLet && peek(1).kind == .lbrace) {
            let arg = try parseSelect()
            f = NixExpr(.apply(f, arg), f.start, arg.end)
        }
        return f
    }

    /// `e`, `e.a.b`, `e.a.b or d`, and the legacy `e or` (application to a variable named `or`).
    mutating func parseSelect() throws -> NixExpr {
        let e = try parseSimple()
        if cur.kind == .dot {
            try advance()
            let path = try parseAttrPath()
            if cur.kind == .kwOr {
                try advance()
                try enter()
                defer { depth -= 1 }
                let def = try parseSelect()
                return NixExpr(.select(e, path.names, def), e.start, def.end)
            }
            return NixExpr(.select(e, path.names, nil), e.start, path.end)
        }
        if cur.kind == .kwOr {
            let orTok = cur
            try advance()
            return NixExpr(.apply(e, NixExpr(.variable("or"), orTok.start, orTok.end)), e.start, orTok.end)
        }
        return e
    }

    /// `a.b."c".${d}`
    mutating func parseAttrPath() throws -> (names: [NixAttrName], end: Int) {
        var names: [NixAttrName] = []
        var end = cur.end
        while true {
            let (name, e) = try parseAttrName()
            names.append(name)
            end = e
            guard cur.kind == .dot else { break }
            try advance()
        }
        return (names, end)
    }

    mutating func parseAttrName() throws -> (NixAttrName, Int) {
        switch cur.kind {
        case .identifier, .kwOr:
            let t = cur
            try advance()
            return (.name(text(t)), t.end)
        case .stringOpen:
            let (parts, end) = try parseStringParts()
            return (.string(parts), end)
        case .dollarCurly:
            try advance()
            let e = try parseExpr()
            let close = try expect(.rbrace, "'}' to close '${'")
            return (.dynamic(e), close.end)
        default:
            throw unexpected("an attribute name")
        }
    }
}
