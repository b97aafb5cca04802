import Foundation

/// The parts of a commit the facts are made of, as libgit2's accessors give them: texts cut at a
/// NUL byte (libgit2 keeps them as C strings), names and emails trimmed.
struct GitCommitParts: Equatable {
    struct Person: Equatable {
        var name: [UInt8]
        var email: [UInt8]
        var time: Int64
        var offset: Int
    }

    var tree: String
    var parents: [String]
    var author: Person
    var committer: Person
    /// `git_commit_message_raw`.
    var rawMessage: [UInt8]
    /// `git_commit_message`: the raw message without its leading newlines.
    var message: ArraySlice<UInt8> { rawMessage.drop { $0 == 10 } }
    /// `git_commit_summary`.
    var summary: [UInt8]
    /// `git_commit_message_encoding`.
    var encoding: [UInt8]?
    /// `git_commit_raw_header`.
    var rawHeader: [UInt8]
}

/// Parses a commit object's bytes as libgit2 1.5 does (`commit_parse`, `git_signature__parse`,
/// `git_commit_summary`), so the one-pass metadata walk can read commits from the pack files with
/// `GitPackReader` instead of a libgit2 lookup each (half its time went there: a zlib stream set up
/// per object, locks, allocations). nil where libgit2 refuses the commit. A test holds both to the
/// same parts on generated commits, malformed ones included.
enum GitRawCommit {
    static func parse(_ b: [UInt8]) -> GitCommitParts? {
        b.withUnsafeBufferPointer { parse($0) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> GitCommitParts? {
        let end = b.count
        var at = 0
        guard let tree = oidLine(b, &at, "tree ") else { return nil }
        var parents: [String] = []
        while let p = oidLine(b, &at, "parent ") { parents.append(p) }
        guard let author = person(b, &at, "author ") else { return nil }
        // Extra author lines (some tools write them) are skipped, but must parse.
        while hasPrefix(b, at, "author ") { guard person(b, &at, "author ") != nil else { return nil } }
        guard let committer = person(b, &at, "committer ") else { return nil }
        var encoding: [UInt8]?
        while at < end {
            if b[at - 1] == 10 && b[at] == 10 { break }
            var eol = at
            while eol < end && b[eol] != 10 { eol += 1 }
            if hasPrefix(b, at, "encoding ") { encoding = cString(b, at + 9, eol) }
            if eol < end { eol += 1 }
            at = eol
        }
        let rawHeader = cString(b, 0, at)
        let messageStart = at + 1
        let rawMessage = messageStart <= end ? cString(b, messageStart, end) : []
        return GitCommitParts(tree: tree, parents: parents, author: author, committer: committer, rawMessage: rawMessage,
                              summary: summary(rawMessage.drop { $0 == 10 }), encoding: encoding, rawHeader: rawHeader)
    }

    /// `git_commit_summary` of a message (leading newlines already dropped).
    static func summary(_ msg: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var space: Int?
        var spaceHasNewline = false
        var i = msg.startIndex
        while i < msg.endIndex {
            let c = msg[i]
            if c == 10 {
                let next = i + 1
                if next == msg.endIndex || msg[next] == 10 { break }
                // The first paragraph also ends before a line of only spaces.
                var j = next
                while j < msg.endIndex && isSpaceNonLF(msg[j]) { j += 1 }
                if j == msg.endIndex || msg[j] == 10 { break }
            }
            if isSpace(c) {
                if space == nil { space = i; spaceHasNewline = false }
                spaceHasNewline = spaceHasNewline || c == 10
            } else {
                if let s = space {
                    if spaceHasNewline { out.append(32) } else { out.append(contentsOf: msg[s..<i]) }
                    space = nil
                }
                out.append(c)
            }
            i += 1
        }
        return out
    }

    // MARK: - libgit2's pieces

    private static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard at + n <= b.count else { return false }
        let p = prefix.utf8Start
        for k in 0..<n where b[at + k] != p[k] { return false }
        return true
    }

    /// `git_oid__parse`: the header, 40 hex digits, a newline.
    private static func oidLine(_ b: UnsafeBufferPointer<UInt8>, _ at: inout Int, _ header: StaticString) -> String? {
        let h = header.utf8CodeUnitCount
        guard at + h + 41 <= b.count, hasPrefix(b, at, header), b[at + h + 40] == 10 else { return nil }
        var hex = [UInt8](repeating: 0, count: 40)
        for k in 0..<40 {
            let c = b[at + h + k]
            switch c {
            case 48...57, 97...102: hex[k] = c
            case 65...70: hex[k] = c + 32
            default: return nil
            }
        }
        at += h + 41
        return String(decoding: hex, as: UTF8.self)
    }

    /// `git_signature__parse` up to the end of its line.
    private static func person(_ b: UnsafeBufferPointer<UInt8>, _ at: inout Int, _ header: StaticString) -> GitCommitParts.Person? {
        var lineEnd = at
        while lineEnd < b.count && b[lineEnd] != 10 { lineEnd += 1 }
        guard lineEnd < b.count else { return nil }
        let h = header.utf8CodeUnitCount
        guard at + h < lineEnd, hasPrefix(b, at, header) else { return nil }
        let start = at + h
        var lt: Int?, gt: Int?
        var k = lineEnd - 1
        while k >= start && (lt == nil || gt == nil) {
            if b[k] == 60, lt == nil { lt = k }
            if b[k] == 62, gt == nil { gt = k }
            k -= 1
        }
        guard let emailStart0 = lt, let emailEnd = gt, emailEnd > emailStart0 else { return nil }
        let emailStart = emailStart0 + 1
        var p = GitCommitParts.Person(name: trimmed(b, start, emailStart - 1), email: trimmed(b, emailStart, emailEnd),
                                      time: 0, offset: 0)
        if emailEnd + 2 < lineEnd {
            let timeStart = emailEnd + 2
            guard let (time, timeEnd) = strntol64(b, timeStart, lineEnd) else { return nil }
            p.time = time
            if timeEnd + 1 < lineEnd {
                let tz = timeEnd + 1
                var offset: Int64 = 0
                if b[tz] == 45 || b[tz] == 43, let (v, _) = strntol64(b, tz + 1, lineEnd), v >= Int64(Int32.min), v <= Int64(Int32.max) {
                    offset = v
                }
                // C division truncates toward zero, as Swift's does.
                let hours = offset / 100, mins = offset % 100
                if hours <= 14 && mins <= 59 {
                    p.offset = Int(hours * 60 + mins)
                    if b[tz] == 45 { p.offset = -p.offset }
                }
            }
        }
        at = lineEnd + 1
        return p
    }

    /// `git__strntol64` in base 10: leading spaces, a sign, at least one digit; nil on none or overflow.
    private static func strntol64(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ end: Int) -> (Int64, Int)? {
        var p = from
        while p < end && isSpace(b[p]) { p += 1 }
        guard p < end else { return nil }
        var negative = false
        if b[p] == 45 || b[p] == 43 { negative = b[p] == 45; p += 1 }
        guard p < end else { return nil }
        var n: Int64 = 0
        var digits = 0
        var overflow = false
        while p < end {
            let c = b[p]
            guard c >= 48 && c <= 57 else { break }
            let v = Int64(c - 48)
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(negative ? -v : v)
            if o1 || o2 { overflow = true } else { n = s }
            p += 1
            digits += 1
        }
        guard digits > 0, !overflow else { return nil }
        return (n, p)
    }

    /// `extract_trimmed` (control characters, spaces and `.,:;<>"\'` off both ends, as in libgit2 1.5), then cut at a NUL
    /// (libgit2 hands it out as a C string).
    private static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> [UInt8] {
        var s = from, e = to
        while s < e && isCrud(b[s]) { s += 1 }
        while e > s && isCrud(b[e - 1]) { e -= 1 }
        return cString(b, s, e)
    }

    private static func isCrud(_ c: UInt8) -> Bool {
        c <= 32 || c == 46 || c == 44 || c == 58 || c == 59 || c == 60 || c == 62 || c == 34 || c == 92 || c == 39
    }

    /// Bytes `from..<to`, cut at the first NUL.
    private static func cString(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> [UInt8] {
        var e = from
        while e < to && b[e] != 0 { e += 1 }
        return Array(b[from..<e])
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
    private static func isSpaceNonLF(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 11 || c == 12 || c == 13 }
}
