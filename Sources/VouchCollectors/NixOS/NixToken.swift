/// The tokens of the Nix language, as Nix's own flex lexer defines them.
enum NixTokenKind: UInt8, Sendable {
    case eof
    // literals and names
    case identifier, integer, float, uri, searchPath
    // keywords
    case kwIf, kwThen, kwElse, kwAssert, kwWith, kwLet, kwIn, kwRec, kwInherit, kwOr
    // punctuation
    case lbrace, rbrace, lbracket, rbracket, lparen, rparen
    case semicolon, colon, comma, dot, at, question, assign, ellipsis
    // operators
    case plus, minus, star, slash, concat, update, not
    case eq, neq, lt, gt, leq, geq, and, or, impl
    // strings and paths
    case stringOpen        // "
    case stringClose       // "
    case indStringOpen     // ''
    case indStringClose    // ''
    case stringFragment    // literal text inside "…" (escapes still encoded)
    case indStringFragment // literal text inside ''…'' (escapes still encoded)
    case indStringEscape   // ''$  '''  ''\x inside ''…''
    case dollarCurly       // ${
    case pathStart         // the first literal piece of a path
    case pathFragment      // a later literal piece of a path
    case pathEnd           // zero width: the path ended

    /// How the token reads in an error message.
    var display: String {
        switch self {
        case .eof: return "end of file"
        case .identifier: return "an identifier"
        case .integer: return "an integer"
        case .float: return "a float"
        case .uri: return "a URI"
        case .searchPath: return "a <search path>"
        case .kwIf: return "'if'"
        case .kwThen: return "'then'"
        case .kwElse: return "'else'"
        case .kwAssert: return "'assert'"
        case .kwWith: return "'with'"
        case .kwLet: return "'let'"
        case .kwIn: return "'in'"
        case .kwRec: return "'rec'"
        case .kwInherit: return "'inherit'"
        case .kwOr: return "'or'"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .semicolon: return "';'"
        case .colon: return "':'"
        case .comma: return "','"
        case .dot: return "'.'"
        case .at: return "'@'"
        case .question: return "'?'"
        case .assign: return "'='"
        case .ellipsis: return "'...'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .concat: return "'++'"
        case .update: return "'//'"
        case .not: return "'!'"
        case .eq: return "'=='"
        case .neq: return "'!='"
        case .lt: return "'<'"
        case .gt: return "'>'"
        case .leq: return "'<='"
        case .geq: return "'>='"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .impl: return "'->'"
        case .stringOpen, .stringClose: return "'\"'"
        case .indStringOpen, .indStringClose: return "\"''\""
        case .stringFragment, .indStringFragment, .indStringEscape: return "string text"
        case .dollarCurly: return "'${'"
        case .pathStart, .pathFragment: return "a path"
        case .pathEnd: return "the end of a path"
        }
    }
}

/// One token: its kind and its byte range in the source.
struct NixToken: Sendable {
    var kind: NixTokenKind
    var start: Int
    var end: Int
}

/// A syntax error with its position; `description` reads `file:line:column: message`.
public struct NixSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Byte offsets to 1-based line and column (columns count bytes, as Nix does).
public struct NixLineTable: Sendable {
    private var starts: [Int] = [0]

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        starts.reserveCapacity(bytes.count / 32 + 1)
        for i in 0..<bytes.count where bytes[i] == 10 { starts.append(i + 1) }
    }

    public init(_ bytes: [UInt8]) {
        var s = [0]
        for (i, b) in bytes.enumerated() where b == 10 { s.append(i + 1) }
        starts = s
    }

    public func location(_ offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - starts[lo] + 1)
    }
}
