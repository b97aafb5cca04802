import Foundation

/// The one mechanism that keeps secrets out of the store, the logs and the reports.
///
/// A collector hands every secret it recognises to `fingerprint(_:)` and stores
/// only what comes back (`sha256:<hex>`). The redactor remembers the secrets it
/// has seen in this run, so `scrub(_:)` can remove them from any later text
/// (an error message, a log line, a raw artifact) before it is written.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: Set<String> = []

    public init() {}

    /// The fingerprint that stands for a secret: `sha256:` and the hex digest.
    public static func fingerprintText(_ secret: String) -> String { "sha256:" + Hashing.sha256Hex(secret) }

    /// Records a secret and returns its fingerprint.
    @discardableResult
    public func fingerprint(_ secret: String) -> String {
        let trimmed: String, trimmedLong: Bool, secretLong: Bool
        if let t = ASCIIText.trimmedWhitespace(secret) {
            // ASCII without CR: Characters are bytes, so counts are byte counts.
            trimmed = t
            trimmedLong = t.utf8.count >= 4
            secretLong = secret.utf8.count >= 4
        } else {
            trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
            trimmedLong = trimmed.count >= 4
            secretLong = secret.count >= 4
        }
        lock.lock()
        if trimmedLong { secrets.insert(trimmed) }
        if secretLong { secrets.insert(secret) }
        lock.unlock()
        return Self.fingerprintText(secret)
    }

    /// Registers a secret without returning the fingerprint (for scrubbing only).
    public func register(_ secret: String) { fingerprint(secret) }

    /// Registers every secret another redactor has seen (work done off the writer thread with its
    /// own redactor joins the run's one at the point the sequential code would have registered it).
    public func absorb(_ other: Redactor) {
        guard other !== self else { return }
        other.lock.lock()
        let seen = other.secrets
        other.lock.unlock()
        lock.lock()
        secrets.formUnion(seen)
        lock.unlock()
    }

    /// Replaces every known secret and every PEM private-key block in `text`.
    public func scrub(_ text: String) -> String {
        lock.lock()
        let known = secrets.sorted { $0.count > $1.count }
        lock.unlock()
        var out = Self.scrubPEMPrivateKeys(text, redactor: self)
        for s in known where SafeText.contains(out, s) {
            out = out.replacingOccurrences(of: s, with: Self.fingerprintText(s))
        }
        return out
    }

    /// Whether a value looks like a PEM private key (also base64-wrapped ones Talos uses).
    public static func looksLikePrivateKey(_ value: String) -> Bool {
        if let quick = ASCIIText.privateKeyQuickAnswer(value) { return quick }
        if value.contains("PRIVATE KEY-----") { return true }
        if value.count >= 40, value.count % 4 == 0, !value.contains(" "),
            let d = Data(base64Encoded: value), let t = String(data: d, encoding: .utf8),
            t.contains("PRIVATE KEY-----")
        {
            return true
        }
        return false
    }

    /// Replaces `-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----` blocks by their fingerprint.
    public static func scrubPEMPrivateKeys(_ text: String, redactor: Redactor? = nil) -> String {
        guard SafeText.contains(text, "PRIVATE KEY-----") else { return text }
        var out = ""
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let headerEnd = rest.range(of: "-----", range: begin.upperBound..<rest.endIndex) else { break }
            let label = rest[begin.upperBound..<headerEnd.lowerBound]
            guard label.hasSuffix("PRIVATE KEY") else {
                out += rest[..<headerEnd.upperBound]
                rest = rest[headerEnd.upperBound...]
                continue
            }
            let endMarker = "-----END \(label)-----"
            guard let end = rest.range(of: endMarker, range: headerEnd.upperBound..<rest.endIndex) else {
                // An unterminated key block: drop everything after the header.
                out += rest[..<begin.lowerBound]
                out += "[redacted unterminated private key]"
                return out
            }
            let block = String(rest[begin.lowerBound..<end.upperBound])
            out += rest[..<begin.lowerBound]
            out += redactor?.fingerprint(block) ?? fingerprintText(block)
            rest = rest[end.upperBound...]
        }
        out += rest
        return out
    }
}

/// Byte-level answers for ASCII text, where they provably match Foundation's Character-level ones
/// (which are far slower and run on every scalar of a config). Anything else gets nil: ask Foundation.
public enum ASCIIText {
    /// `s.trimmingCharacters(in: .whitespacesAndNewlines)` for ASCII text without CR (CR LF is one
    /// Character, so CR is left to Foundation); nil for any other text.
    public static func trimmedWhitespace(_ s: String) -> String? {
        var copy = s
        return copy.withUTF8 { b -> String? in
            for x in b where x >= 0x80 || x == 0x0D { return nil }
            var lo = 0, hi = b.count
            while lo < hi, isSpace(b[lo]) { lo += 1 }
            while hi > lo, isSpace(b[hi - 1]) { hi -= 1 }
            if lo == 0 && hi == b.count { return s }
            return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
        }
    }

    /// `Redactor.looksLikePrivateKey` for ASCII text: true when it holds `PRIVATE KEY-----`; else,
    /// unless it is all base64 alphabet (decoding without options refuses any other byte), false;
    /// else whether it decodes to ASCII text holding the marker. Nil when the full check is needed
    /// (non-ASCII input, or base64 that decodes to non-ASCII bytes).
    public static func privateKeyQuickAnswer(_ s: String) -> Bool? {
        var copy = s
        return copy.withUTF8 { b -> Bool? in
            var allBase64 = true
            for x in b {
                if x >= 0x80 { return nil }
                if allBase64 && !isBase64(x) { allBase64 = false }
            }
            if contains(b, "PRIVATE KEY-----") { return true }
            guard allBase64 else { return false }
            // All base64 alphabet, so no CR: Characters are bytes.
            guard b.count >= 40, b.count % 4 == 0 else { return false }
            guard let decoded = Data(base64Encoded: s) else { return false }
            return decoded.withUnsafeBytes { raw -> Bool? in
                let d = raw.bindMemory(to: UInt8.self)
                for x in d where x >= 0x80 { return nil }
                return contains(d, "PRIVATE KEY-----")
            }
        }
    }

    private static func isSpace(_ x: UInt8) -> Bool { x == 0x20 || (x >= 0x09 && x <= 0x0D) }

    private static func isBase64(_ x: UInt8) -> Bool {
        switch x {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default: return false
        }
    }

    private static func contains(_ b: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, b.count >= n, let hp = b.baseAddress else { return n == 0 }
        let np = needle.utf8Start
        var start = hp
        let last = hp + (b.count - n)
        while start <= last {
            guard let found = memchr(start, Int32(np.pointee), last - start + 1) else { return false }
            let at = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
            if memcmp(at, np, n) == 0 { return true }
            start = at + 1
        }
        return false
    }
}
