import CLibGit2
import Foundation
import VouchCore

/// What a commit message says about review: its trailers and the pull request it merged.
enum GitMessage {
    /// Trailer keys that name a reviewer or approver.
    static let reviewKeys: Set<String> = ["reviewed-by", "approved-by", "acked-by"]

    /// The trailers of a raw message (git's own parser), as key → values in order of appearance.
    static func trailers(_ message: UnsafePointer<CChar>) -> [String: [String]] {
        var arr = git_message_trailer_array()
        guard git_message_trailers(&arr, message) == 0 else { return [:] }
        defer { git_message_trailer_array_free(&arr) }
        var out: [String: [String]] = [:]
        var spelling: [String: String] = [:]
        for i in 0..<arr.count {
            let t = arr.trailers[i]
            let key = SafeText.from(bytes: cBytes(t.key))
            let value = SafeText.from(bytes: cBytes(t.value))
            // Trailer keys compare case-insensitively: keep the first spelling seen.
            let k = spelling[key.lowercased(), default: key]
            spelling[key.lowercased()] = k
            out[k, default: []].append(value)
        }
        return out
    }

    static func reviewCount(_ trailers: [String: [String]]) -> Int {
        trailers.reduce(0) { $0 + (reviewKeys.contains($1.key.lowercased()) ? $1.value.count : 0) }
    }

    /// The canonical JSON of the trailers (as `JSONValue.canonicalText` writes it), written directly.
    static func trailersJSON(_ trailers: [String: [String]]) -> String {
        guard !trailers.isEmpty else { return "{}" }
        var out: [UInt8] = [0x7B]
        out.reserveCapacity(128)
        for (i, key) in trailers.keys.sorted().enumerated() {
            if i > 0 { out.append(0x2C) }
            JSONValue.writeString(key, into: &out)
            out.append(0x3A)
            out.append(0x5B)
            for (j, value) in trailers[key]!.enumerated() {
                if j > 0 { out.append(0x2C) }
                JSONValue.writeString(value, into: &out)
            }
            out.append(0x5D)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    /// The pull (merge) request a commit records, and how it says so:
    /// `Merge pull request #N from …` (github-merge), `title (#N)` (squash),
    /// `See merge request group/project!N` (gitlab), `Merged in … (pull request #N)` (bitbucket).
    static func pullRequest(summary: String, message: String) -> (number: Int64, source: String)? {
        if summary.hasPrefix("Merge pull request #"), let n = leadingNumber(summary.dropFirst("Merge pull request #".count)) {
            return (n, "github-merge")
        }
        if summary.hasPrefix("Merged in "), let r = summary.range(of: "(pull request #"),
           let n = leadingNumber(summary[r.upperBound...])
        {
            return (n, "bitbucket")
        }
        if let r = SafeText.byteRange(of: "See merge request ", in: message, last: true) {
            let start = message.utf8.index(message.utf8.startIndex, offsetBy: r.upperBound)
            let rest = message[start...].prefix(while: { !$0.isNewline && $0 != " " })
            if let bang = rest.lastIndex(of: "!"), let n = leadingNumber(rest[rest.index(after: bang)...]) {
                return (n, "gitlab")
            }
        }
        // A squash merge: the subject ends with "(#N)".
        let trimmed = trimmingWhitespace(summary)
        if trimmed.hasSuffix(")"), let open = trimmed.range(of: "(#", options: .backwards) {
            let digits = trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)]
            if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let n = Int64(digits) {
                return (n, "squash")
            }
        }
        return nil
    }

    /// `summary` without leading and trailing spaces and tabs (what Foundation's `.whitespaces` trims), without Foundation.
    static func trimmingWhitespace(_ text: String) -> Substring {
        func space(_ u: Unicode.Scalar) -> Bool { u == " " || u == "\t" || (u.value > 0x7F && u.properties.generalCategory == .spaceSeparator) }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !space($0) }), let last = scalars.lastIndex(where: { !space($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }

    private static func leadingNumber(_ s: Substring) -> Int64? {
        let digits = s.prefix(while: { $0.isASCII && $0.isNumber })
        return digits.isEmpty ? nil : Int64(digits.prefix(18))
    }

    /// The signature a commit header carries: none | gpg | ssh | x509 (| unknown for another armor).
    static func signatureType(rawHeader: UnsafePointer<CChar>?) -> String {
        guard let rawHeader else { return "none" }
        let found: UnsafePointer<CChar>
        if let p = strstr(rawHeader, "\ngpgsig") { found = UnsafePointer(p) }
        else if strncmp(rawHeader, "gpgsig", 6) == 0 { found = rawHeader }
        else { return "none" }
        let text = String(decoding: cBytes(found).prefix(200), as: UTF8.self)
        return signatureType(armor: text)
    }

    static func signatureType(armor text: String) -> String {
        if text.contains("-----BEGIN PGP SIGNATURE-----") || text.contains("-----BEGIN PGP MESSAGE-----") { return "gpg" }
        if text.contains("-----BEGIN SSH SIGNATURE-----") { return "ssh" }
        if text.contains("-----BEGIN SIGNED MESSAGE-----") || text.contains("-----BEGIN CMS-----") { return "x509" }
        return "unknown"
    }
}
