import Crypto
import Foundation
import GRDB
import VouchCore

/// What an export wrote.
public struct BundleSummary: Sendable {
    public var path: String
    public var captures: [Int64]
    public var files: Int
    public var items: Int
    public var blobs: Int
    public var bytes: Int64
    public var keyID: String?
}

/// Writes the auditor bundle: reports, the chosen captures' evidence as JSON Lines, their blobs,
/// the catalog and profile used, the manifest (signed when a key is given) and a note for the auditor.
///
/// Everything streams: items go to a temporary JSON Lines file row by row, blobs go from the
/// store's chunks straight into the zip, so memory stays flat whatever the bundle's size.
public struct BundleExporter {
    public let store: EvidenceStore
    public var captureIDs: [Int64]
    public var generatedAt: String
    public var signingKey: Curve25519.Signing.PrivateKey?
    /// Rendered reports (file name → bytes), placed at the bundle's root.
    public var reports: [(name: String, data: Data)] = []
    /// Extra files to include as they are (bundle path → file), e.g. the catalog and the profile.
    public var extraFiles: [(path: String, url: URL)] = []
    public var catalogSHA256: String?
    public var profileSHA256: String?

    public init(store: EvidenceStore, captureIDs: [Int64], generatedAt: String, signingKey: Curve25519.Signing.PrivateKey? = nil) {
        self.store = store
        self.captureIDs = captureIDs
        self.generatedAt = generatedAt
        self.signingKey = signingKey
    }

    public func export(to path: String) throws -> BundleSummary {
        guard !captureIDs.isEmpty else { throw BundleError.noCaptures("no capture was chosen") }
        let target = URL(fileURLWithPath: path)
        let temp = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(getpid()).partial")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vouch-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: temp)
        }
        let zip = try ZipWriter(path: temp.path)
        var files: [BundleFile] = []
        var summary = BundleSummary(path: path, captures: captureIDs, files: 0, items: 0, blobs: 0, bytes: 0,
                                    keyID: signingKey.map { SigningKeys.keyID($0.publicKey) })

        func addData(_ name: String, _ data: Data) throws {
            try zip.add(name, data: data, compress: true)
            files.append(BundleFile(path: name, sha256: Hashing.sha256Hex(data), size: Int64(data.count)))
        }

        let headers = try store.pool.read { db in try BundleEvidence.captureHeaders(db, ids: captureIDs) }
        try addData(BundleManifest.noteName, Data(AuditorNote.text(captures: headers, keyID: summary.keyID, createdAt: generatedAt).utf8))
        for r in reports { try addData(r.name, r.data) }
        try addData(BundleManifest.capturesName, Data(headers.map { $0.json.canonicalText + "\n" }.joined().utf8))

        // Items, one JSON Lines file per capture, staged on disk then deflated into the zip.
        var blobs = Set<String>()
        for h in headers where !h.pruned {
            let staged = scratch.appendingPathComponent("capture-\(h.id).jsonl")
            let (count, refs) = try store.pool.read { db in try BundleEvidence.writeItems(db, captureID: h.id, to: staged) }
            summary.items += count
            blobs.formUnion(refs)
            files.append(try addFile(zip, BundleManifest.captureFile(h.id), staged, compress: true))
        }
        // Blobs, streamed chunk by chunk from the store, each checked against its address.
        try store.pool.read { db in
            for sha in blobs.sorted() {
                guard let row = try Row.fetchOne(db, sql: "SELECT id, size FROM blob WHERE sha256 = ?", arguments: [sha]) else {
                    throw BundleError.damagedStore("the raw artifact sha256:\(sha) is missing")
                }
                let size: Int64 = row["size"]
                let cursor = try Data.fetchCursor(db, sql: "SELECT data FROM blob_chunk WHERE blob_id = ? ORDER BY seq",
                                                  arguments: [row["id"] as Int64])
                var hasher = SHA256()
                try zip.add(BundleManifest.blobFile(sha), size: size, compress: size <= 4 << 20,
                            read: { try cursor.next() ?? Data() }, observe: { hasher.update(data: $0) })
                let actual = Hashing.hex(hasher.finalize())
                guard actual == sha else { throw BundleError.damagedStore("the raw artifact sha256:\(sha) now hashes to \(actual)") }
                files.append(BundleFile(path: BundleManifest.blobFile(sha), sha256: sha, size: size))
                summary.blobs += 1
                summary.bytes += size
            }
        }
        for extra in extraFiles.sorted(by: { $0.path < $1.path }) {
            files.append(try addFile(zip, extra.path, extra.url, compress: true))
        }
        let manifest = try BundleManifest.make(createdAt: generatedAt, captures: headers.map(\.manifestEntry), files: files,
                                               catalogSHA256: catalogSHA256, profileSHA256: profileSHA256, key: signingKey)
        try zip.add(BundleManifest.fileName, data: manifest.canonicalData + Data("\n".utf8), compress: true)
        try zip.finish()
        summary.files = files.count + 1
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(at: temp, to: target)
        } catch { throw BundleError.cannotWrite(path, error.localizedDescription) }
        return summary
    }

    /// Adds a file from disk, streaming, and returns its manifest line.
    private func addFile(_ zip: ZipWriter, _ name: String, _ url: URL, compress: Bool) throws -> BundleFile {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw BundleError.cannotWrite(name, "cannot read \(url.path)") }
        defer { try? handle.close() }
        let size = Int64((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0)
        var hasher = SHA256()
        try zip.add(name, size: size, compress: compress, read: { try handle.read(upToCount: 1 << 20) ?? Data() },
                    observe: { hasher.update(data: $0) })
        return BundleFile(path: name, sha256: Hashing.hex(hasher.finalize()), size: size)
    }
}
