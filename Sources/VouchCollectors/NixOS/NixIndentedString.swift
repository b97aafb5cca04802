/// Indented strings (`''…''`): escapes, interpolation, and Nix's indentation stripping.
extension NixParser {
    /// One piece before stripping: text that counts for indentation, an escape, or `${…}`.
    enum IndPiece {
        case text([UInt8])
        case escaped([UInt8])
        case interpolation(NixExpr)
    }

    mutating func parseIndentedString() throws -> NixExpr {
        let start = cur.start
        try advance()
        var pieces: [IndPiece] = []
        while true {
            switch cur.kind {
            case .indStringFragment:
                pieces.append(.text(Array(UnsafeBufferPointer(rebasing: b[cur.start..<cur.end]))))
                try advance()
            case .indStringEscape:
                let third = b[cur.start + 2]
                if third == 36 { pieces.append(.escaped([36])) }
                else if third == 39 { pieces.append(.escaped([39, 39])) }
                else {
                    let c = b[cur.start + 3]
                    pieces.append(.escaped([c == 110 ? 10 : c == 114 ? 13 : c == 116 ? 9 : c]))
                }
                try advance()
            case .dollarCurly:
                try advance()
                let e = try parseExpr()
                _ = try expect(.rbrace, "'}' to close '${'")
                pieces.append(.interpolation(e))
            case .indStringClose:
                let end = cur.end
                try advance()
                return NixExpr(.indentedString(Self.stripIndentation(pieces)), start, end)
            default:
                throw unexpected("''")
            }
        }
    }

    /// Nix's `stripIndentation`: drops the smallest indentation of the non-blank lines,
    /// and a last line made of spaces only.
    static func stripIndentation(_ pieces: [IndPiece]) -> [NixStringPart] {
        var minIndent = Int.max
        var curIndent = 0
        var atStartOfLine = true
        for piece in pieces {
            guard case .text(let t) = piece else {
                if atStartOfLine { atStartOfLine = false; minIndent = min(minIndent, curIndent) }
                continue
            }
            for c in t {
                if atStartOfLine {
                    if c == 32 { curIndent += 1 }
                    else if c == 10 { curIndent = 0 }
                    else { atStartOfLine = false; minIndent = min(minIndent, curIndent) }
                } else if c == 10 {
                    atStartOfLine = true
                    curIndent = 0
                }
            }
        }
        var out: [NixStringPart] = []
        var pending: [UInt8] = []
        atStartOfLine = true
        var dropped = 0
        for (n, piece) in pieces.enumerated() {
            let bytes: [UInt8]
            switch piece {
            case .interpolation(let e):
                atStartOfLine = false
                dropped = 0
                if !pending.isEmpty { out.append(.literal(String(decoding: pending, as: UTF8.self))); pending = [] }
                out.append(.interpolation(e))
                continue
            case .text(let t): bytes = t
            case .escaped(let t): bytes = t
            }
            var s2: [UInt8] = []
            s2.reserveCapacity(bytes.count)
            for c in bytes {
                if atStartOfLine {
                    if c == 32 {
                        if dropped >= minIndent { s2.append(c) }
                        dropped += 1
                    } else if c == 10 {
                        dropped = 0
                        s2.append(c)
                    } else {
                        atStartOfLine = false
                        dropped = 0
                        s2.append(c)
                    }
                } else {
                    s2.append(c)
                    if c == 10 { atStartOfLine = true }
                }
            }
            if n == pieces.count - 1, let nl = s2.lastIndex(of: 10), s2[(nl + 1)...].allSatisfy({ $0 == 32 }) {
                s2.removeSubrange((nl + 1)...)
            }
            pending.append(contentsOf: s2)
        }
        if !pending.isEmpty { out.append(.literal(String(decoding: pending, as: UTF8.self))) }
        return out
    }
}

/// A fast UTF-8 validity check (ASCII runs skipped eight bytes at a time).
enum UTF8Check {
    /// The offset of the first byte that is not valid UTF-8, or nil.
    static func firstInvalid(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = b.count
        guard let base = b.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        while i < n {
            if i + 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let len: Int
            switch c {
            case 0xC2...0xDF: len = 2
            case 0xE0...0xEF: len = 3
            case 0xF0...0xF4: len = 4
            default: return i
            }
            guard i + len <= n else { return i }
            for k in 1..<len where b[i + k] & 0xC0 != 0x80 { return i }
            let c1 = b[i + 1]
            if c == 0xE0, c1 < 0xA0 { return i }
            if c == 0xED, c1 > 0x9F { return i }
            if c == 0xF0, c1 < 0x90 { return i }
            if c == 0xF4, c1 > 0x8F { return i }
            i += len
        }
        return nil
    }
}
