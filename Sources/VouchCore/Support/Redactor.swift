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
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        lock.lock()
        if trimmed.count >= 4 { secrets.insert(trimmed) }
        if secret.count >= 4 { secrets.insert(secret) }
        lock.unlock()
        return Self.fingerprintText(secret)
    }

    /// Registers a secret without returning the fingerprint (for scrubbing only).
    public func register(_ secret: String) { fingerprint(secret) }

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
