import Foundation
import VouchCore

/// What a scalar is, as far as secrets go.
enum SecretVerdict: Equatable {
    /// Not a secret: stored as written.
    case plain
    /// A secret: only its fingerprint is stored.
    case secret
    /// A SOPS-encrypted value (`ENC[…]`): recorded as encrypted, never as a value.
    case encrypted(type: String)
    /// A value with a secret inside (a join token in a URL, a password in a URL): stored rewritten.
    case partial(String)
    /// A field that holds a secret but was already blanked upstream (empty, `REDACTED`): stored as is.
    case blanked
}

/// The redaction rules for Talos configs: which values are secrets.
///
/// By name: machine/cluster tokens, CA and service-account keys, the cluster secret, secretbox/aescbc
/// keys, registry credentials, WireGuard private and preshared keys, disk passphrases, anything named
/// like a password, secret, passphrase, private key or token. By value: any PEM private key (also
/// base64-wrapped, as Talos stores them), SOPS `ENC[…]` values, join tokens and passwords inside URLs.
enum TalosSecrets {
    /// Key names (lower-cased) whose string values are always secrets.
    static let secretNames: Set<String> = [
        "token", "secret", "password", "passphrase", "privatekey", "presharedkey", "identitytoken", "auth",
        "clustersecret", "secretboxencryptionsecret", "aescbcencryptionsecret", "bootstraptoken", "jointoken",
        "registrytoken", "apitoken", "accesskey", "secretkey", "clientsecret",
    ]
    /// Parents (lower-cased) whose `key` child is a private key.
    static let keyParents: Set<String> = ["ca", "issuingca", "aggregatorca", "serviceaccount", "clientidentity", "issuer", "etcd", "os", "k8s"]

    /// The placeholder stored for a SOPS value.
    static func encryptedPlaceholder(type: String) -> String { "ENC[sops,type:\(type)]" }

    /// Classifies a string scalar at `key` under `ancestors` (keys only, outermost first) in a document of `kind`.
    static func classify(value: String, key: String?, ancestors: [String], kind: String?, isPlainNonString: Bool,
                         redactor: Redactor? = nil) -> SecretVerdict {
        if value.hasPrefix("ENC[") && value.hasSuffix("]") && SafeText.contains(value, "data:") {
            return .encrypted(type: sopsType(value))
        }
        if SafeText.contains(value, "PRIVATE KEY-----") || (value.utf8.count >= 40 && Redactor.looksLikePrivateKey(value)) {
            return .secret
        }
        let k = key?.lowercased() ?? ""
        let parent = ancestors.last?.lowercased() ?? ""
        var named = false
        if !k.isEmpty {
            if secretNames.contains(k) || k.hasSuffix("password") || k.hasSuffix("passphrase") || k.hasSuffix("privatekey")
                || k.hasSuffix("secret") || k.hasSuffix("token") || k.hasSuffix("_key") && k.contains("secret")
            {
                named = true
            } else if k == "key" && (keyParents.contains(parent) || parent.hasSuffix("ca")) {
                named = true
            } else if k == "username" && (parent == "auth" || kind == "RegistryAuthConfig") {
                named = true
            } else if kind == "RegistryAuthConfig" && ["auth", "identitytoken", "password"].contains(k) {
                named = true
            }
        }
        // Kubernetes Secrets pasted into inline manifests: the whole manifest is a secret.
        if k == "contents", ancestors.contains("inlineManifests"), SafeText.contains(value, "kind: Secret") { return .secret }
        if named {
            // Booleans and numbers under a secret-like name (e.g. `secretboxEncryption: true`) are settings.
            if isPlainNonString { return .plain }
            let t = ASCIIText.trimmedWhitespace(value) ?? value.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty || t == "REDACTED" || t == "<redacted>" || t == "******" { return .blanked }
            return .secret
        }
        if let rewritten = scrubInline(value, redactor: redactor) { return .partial(rewritten) }
        return .plain
    }

    /// The SOPS value's declared type (`type:str`), without its data.
    static func sopsType(_ v: String) -> String {
        guard let r = v.range(of: "type:") else { return "unknown" }
        let t = v[r.upperBound...].prefix(while: { $0.isLetter })
        return t.isEmpty ? "unknown" : String(t)
    }

    /// Rewrites secrets embedded in a longer value: `jointoken=` parameters, `user:password@` in URLs,
    /// PEM private-key blocks. Returns nil when there is nothing to rewrite.
    static func scrubInline(_ value: String, redactor: Redactor? = nil) -> String? {
        // Most values hold none of the markers: answer that with byte searches only.
        guard SafeText.contains(value, "jointoken=") || SafeText.contains(value, "://") || SafeText.contains(value, "PRIVATE KEY-----")
        else { return nil }
        var out = value
        var changed = false
        // Byte search first: `jointoken=` is ASCII, so a value without its bytes cannot contain it.
        if SafeText.contains(out, "jointoken="), out.contains("jointoken=") {
            out = rewriteParameter(out, name: "jointoken=", redactor: redactor)
            changed = true
        }
        if let r = out.range(of: "://"), let at = out[r.upperBound...].firstIndex(of: "@") {
            let userinfo = out[r.upperBound..<at]
            if !userinfo.contains("/"), let colon = userinfo.firstIndex(of: ":") {
                let pw = String(userinfo[userinfo.index(after: colon)...])
                if !pw.isEmpty {
                    let fp = redactor?.fingerprint(pw) ?? Redactor.fingerprintText(pw)
                    out.replaceSubrange(userinfo.index(after: colon)..<at, with: fp)
                    changed = true
                }
            }
        }
        if out.contains("PRIVATE KEY-----") {
            out = Redactor.scrubPEMPrivateKeys(out, redactor: redactor)
            changed = true
        }
        return changed ? out : nil
    }

    private static func rewriteParameter(_ s: String, name: String, redactor: Redactor?) -> String {
        var out = ""
        var rest = Substring(s)
        while let r = rest.range(of: name) {
            out += rest[..<r.upperBound]
            let tail = rest[r.upperBound...]
            let token = tail.prefix(while: { !"&# \t\n\"'".contains($0) })
            if !token.isEmpty { out += redactor?.fingerprint(String(token)) ?? Redactor.fingerprintText(String(token)) }
            rest = tail.dropFirst(token.count)
        }
        return out + rest
    }
}
