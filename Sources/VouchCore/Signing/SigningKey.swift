import Crypto
import Foundation

/// Errors of key handling and signatures: what failed, on which file, and what to do.
public enum SigningError: Error, LocalizedError, Sendable, Equatable {
    case unreadableKey(path: String, reason: String)
    case notAKey(path: String, expected: String)
    case keyExists(path: String)
    case cannotWrite(path: String, reason: String)
    case signatureInvalid(String)

    public var errorDescription: String? {
        switch self {
        case .unreadableKey(let path, let reason):
            return "cannot read the key \(path): \(reason). `vouch keygen --out DIR` writes a key pair."
        case .notAKey(let path, let expected):
            return "\(path) is not an Ed25519 \(expected) in PEM form (as `vouch keygen` or `openssl genpkey -algorithm ed25519` writes)."
        case .keyExists(let path):
            return "\(path) exists already; keygen never overwrites a key. Move it away or choose another --out."
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .signatureInvalid(let what):
            return "the signature of \(what) is not valid"
        }
    }
}

/// An Ed25519 public key (so callers need not import Crypto).
public typealias SigningPublicKey = Curve25519.Signing.PublicKey

/// Ed25519 keys in the standard PEM forms (PKCS#8 private key, SubjectPublicKeyInfo public key),
/// so `openssl pkey` and `openssl pkeyutl -verify -rawin` read them too.
public enum SigningKeys {
    public static let privateFileName = "vouch-signing.key"
    public static let publicFileName = "vouch-signing.pub"
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The key id: `ed25519:` and the first 16 hex digits of the SHA-256 of the raw public key.
    public static func keyID(_ key: Curve25519.Signing.PublicKey) -> String {
        "ed25519:" + Hashing.sha256Hex(key.rawRepresentation).prefix(16)
    }

    public static func pem(_ key: Curve25519.Signing.PrivateKey) -> String {
        pem(label: "PRIVATE KEY", der: pkcs8Prefix + Array(key.rawRepresentation))
    }

    public static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        pem(label: "PUBLIC KEY", der: spkiPrefix + Array(key.rawRepresentation))
    }

    static func pem(label: String, der: [UInt8]) -> String {
        "-----BEGIN \(label)-----\n" + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END \(label)-----\n"
    }

    /// The DER inside a PEM block with the given label.
    static func der(_ text: String, label: String) -> [UInt8]? {
        guard let begin = text.range(of: "-----BEGIN \(label)-----"), let end = text.range(of: "-----END \(label)-----"),
              begin.upperBound <= end.lowerBound
        else { return nil }
        let body = text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map(Array.init)
    }

    /// Generates a key pair into `directory`: the private key with mode 0600, the public key 0644.
    public static func generate(into directory: URL) throws -> (privateKey: URL, publicKey: URL, keyID: String) {
        let key = Curve25519.Signing.PrivateKey()
        let fm = FileManager.default
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw SigningError.cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        let privURL = directory.appendingPathComponent(privateFileName)
        let pubURL = directory.appendingPathComponent(publicFileName)
        for u in [privURL, pubURL] where fm.fileExists(atPath: u.path) { throw SigningError.keyExists(path: u.path) }
        // Create the private key file 0600 before any byte is written, so it is never readable by others.
        let fd = open(privURL.path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw SigningError.cannotWrite(path: privURL.path, reason: String(cString: strerror(errno))) }
        let bytes = Array(pem(key).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == bytes.count else { throw SigningError.cannotWrite(path: privURL.path, reason: "short write") }
        do { try Data(pem(key.publicKey).utf8).write(to: pubURL) } catch {
            throw SigningError.cannotWrite(path: pubURL.path, reason: error.localizedDescription)
        }
        return (privURL, pubURL, keyID(key.publicKey))
    }

    public static func loadPrivate(path: String) throws -> Curve25519.Signing.PrivateKey {
        let text = try read(path)
        guard let der = der(text, label: "PRIVATE KEY"), der.count == 48, Array(der.prefix(16)) == pkcs8Prefix,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        else { throw SigningError.notAKey(path: path, expected: "private key") }
        return key
    }

    /// Loads a public key, or derives it from a private key file.
    public static func loadPublic(path: String) throws -> Curve25519.Signing.PublicKey {
        let text = try read(path)
        if let der = der(text, label: "PUBLIC KEY"), der.count == 44, Array(der.prefix(12)) == spkiPrefix,
           let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
        {
            return key
        }
        if text.contains("PRIVATE KEY-----") { return try loadPrivate(path: path).publicKey }
        throw SigningError.notAKey(path: path, expected: "public key")
    }

    private static func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SigningError.unreadableKey(path: path, reason: error.localizedDescription)
        }
    }
}
