import Crypto
import Foundation
import VouchCore

/// Errors of bundle export and reading.
public enum BundleError: Error, LocalizedError, Sendable, Equatable {
    case cannotWrite(String, String)
    case noCaptures(String)
    case damagedStore(String)
    case notABundle(String, String)

    public var errorDescription: String? {
        switch self {
        case .cannotWrite(let path, let why): return "cannot write the bundle \(path): \(why)"
        case .noCaptures(let why): return "nothing to export: \(why). `vouch captures list` shows the ids."
        case .damagedStore(let why): return "the store is damaged, so the bundle would not verify: \(why). Run `vouch verify` to see what changed."
        case .notABundle(let path, let why): return "\(path) is not a Vouch bundle: \(why)"
        }
    }
}

/// One file of a bundle as the manifest lists it.
public struct BundleFile: Sendable, Hashable {
    public var path: String
    public var sha256: String
    public var size: Int64

    var json: JSONValue { ["path": .string(path), "sha256": .string(sha256), "size": .int(size)] }
}

/// `manifest.json`: every file with its SHA-256 and size, the capture seals and chain links,
/// the tool version, and an Ed25519 signature over the canonical manifest (the manifest's
/// canonical JSON — sorted keys, no whitespace — without its `signature` member).
public enum BundleManifest {
    public static let format = "vouch.bundle.v1"
    public static let fileName = "manifest.json"
    public static let noteName = "README-AUDITOR.txt"
    public static let capturesName = "evidence/captures.jsonl"

    static func captureFile(_ id: Int64) -> String { "evidence/capture-\(id).jsonl" }
    static func blobFile(_ sha: String) -> String { "blobs/\(sha)" }

    /// The bytes the signature covers.
    public static func signedBytes(_ manifest: JSONValue) -> Data {
        guard case .object(var o) = manifest else { return manifest.canonicalData }
        o.removeValue(forKey: "signature")
        return JSONValue.object(o).canonicalData
    }

    /// Builds and (optionally) signs the manifest.
    static func make(createdAt: String, captures: [JSONValue], files: [BundleFile], catalogSHA256: String?,
                     profileSHA256: String?, key: Curve25519.Signing.PrivateKey?) throws -> JSONValue {
        var o: [String: JSONValue] = [
            "format": .string(format), "tool_version": .string(VouchVersion.current), "created_at": .string(createdAt),
            "captures": .array(captures), "files": .array(files.map(\.json)),
            "catalog_sha256": catalogSHA256.map { .string($0) } ?? .null,
            "profile_sha256": profileSHA256.map { .string($0) } ?? .null,
        ]
        if let key {
            o["key_id"] = .string(SigningKeys.keyID(key.publicKey))
            o["public_key"] = .string(key.publicKey.rawRepresentation.base64EncodedString())
            let signature = try key.signature(for: signedBytes(.object(o)))
            o["signature"] = .string(signature.base64EncodedString())
        }
        return .object(o)
    }
}
