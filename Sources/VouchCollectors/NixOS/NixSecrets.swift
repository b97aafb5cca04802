import Foundation
import VouchCore

/// Which option values are secrets, and how a module file is redacted before it is stored.
enum NixSecrets {
    /// Option names whose values are always secret.
    static let secretNames: Set<String> = ["hashedPassword", "initialHashedPassword", "initialPassword", "password"]

    /// `users.users.x.hashedPassword`, `…password`, or an option whose own name mentions a secret.
    static func isSecretPath(_ path: [String]) -> Bool {
        guard let last = path.last else { return false }
        return secretNames.contains(last) || last.lowercased().contains("secret")
    }

    /// A value that is a secret whatever option holds it: a private key or a password hash.
    static func looksSecret(_ s: String) -> Bool {
        Redactor.looksLikePrivateKey(s) || isPasswordHash(s)
    }

    /// crypt(3) hashes: `$6$…`, `$5$…`, `$y$…`, `$2b$…`, `$argon2id$…` and the like.
    static func isPasswordHash(_ s: String) -> Bool {
        guard s.count >= 20, s.hasPrefix("$") else { return false }
        let prefixes = ["$1$", "$5$", "$6$", "$7$", "$y$", "$gy$", "$2a$", "$2b$", "$2y$", "$argon2", "$sha1$", "$md5"]
        return prefixes.contains { s.hasPrefix($0) }
    }

    /// The fingerprint that replaces a secret. Long secrets are also registered with the redactor
    /// so they are scrubbed from any later text; short ones only by position (they would
    /// otherwise blank out ordinary words everywhere).
    static func fingerprint(_ s: String, _ redactor: Redactor) -> String {
        s.count >= 8 ? redactor.fingerprint(s) : Redactor.fingerprintText(s)
    }

    /// The module file as stored: the given byte ranges replaced by their fingerprint as a
    /// Nix string, then every registered secret and PEM private key scrubbed.
    static func redact(_ bytes: [UInt8], spans: [Range<Int>], redactor: Redactor) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pos = 0
        for span in mergeSpans(spans) where span.lowerBound >= pos {
            out.append(contentsOf: bytes[pos..<span.lowerBound])
            let secret = String(decoding: bytes[span], as: UTF8.self)
            out.append(contentsOf: Array("\"\(fingerprint(secret, redactor))\"".utf8))
            pos = span.upperBound
        }
        out.append(contentsOf: bytes[pos...])
        return Data(redactor.scrub(String(decoding: out, as: UTF8.self)).utf8)
    }

    static func mergeSpans(_ spans: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for s in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, s.lowerBound < last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, s.upperBound)
            } else {
                merged.append(s)
            }
        }
        return merged
    }

    /// The ranges of string literals anywhere in a file that hold a private key or a password hash.
    static func literalSpans(_ root: NixExpr) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var stack = [root]
        while let e = stack.popLast() {
            switch e.kind {
            case .string(let parts), .indentedString(let parts):
                for p in parts {
                    if case .literal(let s) = p, looksSecret(s) || s.contains("PRIVATE KEY-----") { out.append(e.start..<e.end) }
                }
            default: break
            }
            stack.append(contentsOf: e.children)
        }
        return out
    }
}

extension NixExpr {
    /// The direct sub-expressions (for walks that need every node).
    var children: [NixExpr] {
        func parts(_ p: [NixStringPart]) -> [NixExpr] {
            p.compactMap { if case .interpolation(let e) = $0 { return e } else { return nil } }
        }
        func names(_ n: [NixAttrName]) -> [NixExpr] {
            n.flatMap { a -> [NixExpr] in
                switch a {
                case .name: return []
                case .string(let p): return parts(p)
                case .dynamic(let e): return [e]
                }
            }
        }
        func binds(_ b: [NixBinding]) -> [NixExpr] {
            b.flatMap { bnd -> [NixExpr] in
                switch bnd.kind {
                case .assign(let path, let v): return names(path) + [v]
                case .inherit(let from, let n): return (from.map { [$0] } ?? []) + names(n)
                }
            }
        }
        switch kind {
        case .int, .float, .searchPath, .uri, .variable: return []
        case .string(let p), .indentedString(let p), .path(let p): return parts(p)
        case .select(let e, let n, let d): return [e] + names(n) + (d.map { [$0] } ?? [])
        case .hasAttr(let e, let n): return [e] + names(n)
        case .list(let items): return items
        case .attrSet(_, let b), .legacyLet(let b): return binds(b)
        case .letIn(let b, let body): return binds(b) + [body]
        case .with(let a, let b), .assert(let a, let b), .apply(let a, let b), .binary(_, let a, let b): return [a, b]
        case .ifThenElse(let c, let t, let f): return [c, t, f]
        case .lambda(let p, let body): return (p.formals ?? []).compactMap(\.defaultValue) + [body]
        case .not(let e), .negate(let e): return [e]
        }
    }
}
