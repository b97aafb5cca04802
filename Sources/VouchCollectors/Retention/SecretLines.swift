import Foundation
import VouchCore

/// Removes secrets from configuration text before it is stored as a blob.
///
/// Prometheus, Loki and Thanos configs carry credentials inline (`basic_auth.password`,
/// `bearer_token`, `authorization.credentials`, `oauth2.client_secret`, object-store
/// `secret_key`…). Each `key: value` (YAML) or `"key": "value"` (JSON) line whose key names a
/// secret has its value replaced by the redactor's fingerprint; `*_file` paths and Kubernetes
/// secret references (names, keys) stay. URL passwords (`http://user:pass@host`) go too.
/// A file that holds a Kubernetes `Secret` object is not stored at all.
enum SecretLines {
    static let secretWords = ["password", "passwd", "secret", "token", "credential", "apikey", "api_key", "access_key", "private_key"]
    static let harmlessSuffixes = ["_file", "file", "name", "ref", "selector", "path", "secretname", "existingsecret", "key_id"]

    static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased()
        guard secretWords.contains(where: { k.contains($0) }) else { return false }
        return !harmlessSuffixes.contains { k.hasSuffix($0) } && k != "secret" && k != "secrets"
    }

    /// Whether the text holds a Kubernetes Secret object (the whole file is then withheld).
    static func holdsSecretObject(_ text: String) -> Bool {
        text.range(of: #"(?m)^\s*"?kind"?\s*:\s*"?Secret"?\s*,?\s*$"#, options: .regularExpression) != nil
    }

    static func redact(_ text: String, redactor: Redactor) -> String {
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(redactLine(String(line), redactor: redactor))
        }
        return redactor.scrub(out.joined(separator: "\n"))
    }

    private static func redactLine(_ line: String, redactor: Redactor) -> String {
        var line = line
        // http://user:password@host
        if let r = line.range(of: #"://[^/\s:@"']+:([^@\s/"']+)@"#, options: .regularExpression) {
            let match = String(line[r])
            if let colon = match.dropFirst(3).firstIndex(of: ":") {
                let pass = String(match[match.index(after: colon)..<match.index(before: match.endIndex)])
                line = line.replacingCharacters(in: r, with: match.replacingOccurrences(of: ":" + pass + "@", with: ":" + redactor.fingerprint(pass) + "@"))
            }
        }
        guard let colon = line.firstIndex(of: ":") else { return line }
        let keyPart = line[..<colon].trimmingCharacters(in: .whitespaces)
        let key = keyPart.trimmingCharacters(in: CharacterSet(charactersIn: "-\"' ,{"))
        guard isSecretKey(key) else { return line }
        var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if value.hasSuffix(",") { value.removeLast() }
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        let bare = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        guard !bare.isEmpty, !["|", ">", "|-", ">-", "{}", "[]", "<secret>", "null", "~"].contains(bare), !PromDuration.isPlaceholder(bare),
              !bare.hasPrefix("sha256:") else { return line }
        return line.replacingOccurrences(of: bare, with: redactor.fingerprint(bare))
    }
}
