import Crypto
import Foundation
import VouchCore
import ZIPFoundation

/// What `vouch verify BUNDLE.zip` found.
public struct BundleVerifyReport: Sendable {
    public var files = 0
    public var bytes: Int64 = 0
    public var captures = 0
    public var items = 0
    /// The key the manifest is signed with, when it is.
    public var keyID: String?
    /// Whether the signature was checked against a key the auditor supplied.
    public var trustedKey = false
    /// Each problem names the file or chain link that fails.
    public var problems: [String] = []
    public var isIntact: Bool { problems.isEmpty }
}

/// Verifies a bundle offline: file hashes and sizes against the manifest, the manifest's
/// signature, every item hash, set hash, capture manifest and seal, and the chain links.
public struct BundleVerifier {
    public let path: String
    public let publicKey: Curve25519.Signing.PublicKey?

    public init(path: String, publicKey: Curve25519.Signing.PublicKey?) {
        self.path = path
        self.publicKey = publicKey
    }

    public func verify() throws -> BundleVerifyReport {
        var report = BundleVerifyReport()
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw BundleError.notABundle(path, "it cannot be read as a zip file (\(error))")
        }
        guard let manifestEntry = archive[BundleManifest.fileName] else {
            throw BundleError.notABundle(path, "it has no \(BundleManifest.fileName)")
        }
        var manifestData = Data()
        do {
            guard manifestEntry.uncompressedSize < 512 << 20 else { throw BundleError.notABundle(path, "manifest.json is too large") }
            _ = try archive.extract(manifestEntry) { manifestData.append($0) }
        } catch {
            report.problems.append("manifest.json: damaged in the zip (\(error)); nothing in the bundle can be trusted")
            return report
        }
        guard let manifest = try? JSONValue.parse(manifestData), manifest["format"]?.stringValue == BundleManifest.format,
              let fileList = manifest["files"]?.arrayValue
        else {
            report.problems.append("manifest.json: not a readable \(BundleManifest.format) manifest (edited or damaged)")
            return report
        }
        checkSignature(manifest, &report)
        var listed: [String: BundleFile] = [:]
        for f in fileList {
            guard let p = f["path"]?.stringValue, let sha = f["sha256"]?.stringValue, let size = f["size"]?.intValue else {
                report.problems.append("manifest.json: a file entry is malformed")
                continue
            }
            listed[p] = BundleFile(path: p, sha256: sha, size: size)
        }
        // Files: every entry hashed while streamed; extra and missing ones named.
        for entry in archive where entry.type == .file && entry.path != BundleManifest.fileName {
            guard let expected = listed[entry.path] else {
                report.problems.append("\(entry.path): added to the bundle (not in the manifest)")
                continue
            }
            var hasher = SHA256()
            var size: Int64 = 0
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 20) { chunk in
                    hasher.update(data: chunk)
                    size += Int64(chunk.count)
                }
            } catch {
                report.problems.append("\(entry.path): damaged in the zip (\(error))")
                continue
            }
            let sha = Hashing.hex(hasher.finalize())
            report.files += 1
            report.bytes += size
            if sha != expected.sha256 || size != expected.size {
                report.problems.append("\(entry.path): content changed (sha256 \(sha), \(size) bytes; the manifest says \(expected.sha256), \(expected.size) bytes)")
            } else if entry.path.hasPrefix("blobs/"), entry.path.dropFirst(6) != sha {
                report.problems.append("\(entry.path): its content does not hash to its name")
            }
        }
        let present = Set(archive.map(\.path))
        for p in listed.keys.sorted() where !present.contains(p) {
            report.problems.append("\(p): missing from the bundle (listed in the manifest)")
        }
        try BundleChainCheck(archive: archive, manifest: manifest, listed: Set(listed.keys),
                             trusted: publicKey).run(&report)
        return report
    }

    private func checkSignature(_ manifest: JSONValue, _ report: inout BundleVerifyReport) {
        guard let signature = manifest["signature"]?.stringValue else {
            if let publicKey {
                report.problems.append("manifest.json: not signed, but a public key was given (\(SigningKeys.keyID(publicKey)))")
            }
            return
        }
        report.keyID = manifest["key_id"]?.stringValue
        let embedded = manifest["public_key"]?.stringValue.flatMap { Data(base64Encoded: $0) }
            .flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
        guard let key = publicKey ?? embedded else {
            report.problems.append("manifest.json: the signature names no readable public key")
            return
        }
        report.trustedKey = publicKey != nil
        guard let sig = Data(base64Encoded: signature), key.isValidSignature(sig, for: BundleManifest.signedBytes(manifest)) else {
            let which = publicKey.map { "the given public key \(SigningKeys.keyID($0))" } ?? "its embedded public key"
            report.problems.append("manifest.json: the signature does not verify with \(which) (the bundle names \(report.keyID ?? "no key"))")
            return
        }
        if let embedded, SigningKeys.keyID(embedded) != report.keyID {
            report.problems.append("manifest.json: key_id does not match its public key")
        }
    }
}
