import Crypto
import Foundation
import VouchCore
import ZIPFoundation

/// Recomputes, from the bundle alone, every item hash, set hash, capture manifest and seal,
/// and checks each chain link between the captures it holds.
struct BundleChainCheck {
    let archive: Archive
    let manifest: JSONValue
    let listed: Set<String>
    let trusted: Curve25519.Signing.PublicKey?

    func run(_ report: inout BundleVerifyReport) throws {
        guard let data = read(BundleManifest.capturesName) else {
            report.problems.append("\(BundleManifest.capturesName): missing or unreadable, so no capture can be checked")
            return
        }
        var headers: [CaptureHeader] = []
        for (n, line) in data.split(separator: 0x0A).enumerated() {
            guard let v = try? JSONValue.parse(Data(line)), let h = CaptureHeader(json: v) else {
                report.problems.append("\(BundleManifest.capturesName) line \(n + 1): not a capture header")
                continue
            }
            headers.append(h)
        }
        let listedCaptures = (manifest["captures"]?.arrayValue ?? []).compactMap { c -> (Int64, String)? in
            guard let id = c["id"]?.intValue, let seal = c["seal"]?.stringValue else { return nil }
            return (id, seal)
        }
        if listedCaptures.map(\.0) != headers.map(\.id) || listedCaptures.map(\.1) != headers.map(\.seal) {
            report.problems.append("manifest.json: its capture seals differ from \(BundleManifest.capturesName)")
        }
        for (i, h) in headers.enumerated() {
            if i > 0, h.prevSeal != headers[i - 1].seal {
                report.problems.append("chain link capture \(headers[i - 1].id) → capture \(h.id): broken (its previous seal is not the seal of capture \(headers[i - 1].id))")
            }
            if h.pruned {
                if Seal.seal(previous: h.prevSeal, manifest: h.manifestSHA256) != h.seal {
                    report.problems.append("pruning marker \(h.id): its seal does not match its manifest and previous seal")
                }
                continue
            }
            report.captures += 1
            checkCapture(h, &report)
        }
    }

    private func checkCapture(_ h: CaptureHeader, _ report: inout BundleVerifyReport) {
        let file = BundleManifest.captureFile(h.id)
        var hashesBySource: [Int64: [String]] = [:]
        var badItems = 0
        var firstBad: String?
        var missingBlobs = Set<String>()
        let ok = stream(file) { line in
            guard let v = try? JSONValue.parse(line), let source = v["source"]?.stringValue, let kind = v["kind"]?.stringValue,
                  let subject = v["subject"]?.stringValue, let origin = v["origin"]?.stringValue, let data = v["data"]?.stringValue,
                  let status = v["status"]?.stringValue, let sha = v["sha256"]?.stringValue, let seq = v["source_seq"]?.intValue
            else {
                badItems += 1
                if firstBad == nil { firstBad = "an unreadable line" }
                return
            }
            let blob = v["blob_sha256"]?.stringValue
            let actual = EvidenceItem.hash(source: source, kind: kind, subject: subject, origin: origin, dataText: data,
                                           blobSHA256: blob, status: status)
            if actual != sha {
                badItems += 1
                if firstBad == nil { firstBad = "item \(kind) \(subject)" }
            }
            if let blob, !listed.contains(BundleManifest.blobFile(blob)) { missingBlobs.insert(blob) }
            hashesBySource[seq, default: []].append(actual)
            report.items += 1
        }
        guard ok else {
            report.problems.append("\(file): missing or unreadable, so capture \(h.id) cannot be recomputed")
            return
        }
        if badItems > 0 {
            report.problems.append("\(file): \(badItems) item(s) no longer match their hash (first: \(firstBad ?? "?"))")
        }
        for b in missingBlobs.sorted().prefix(20) {
            report.problems.append("\(file): names the raw artifact blobs/\(b), which the bundle does not hold")
        }
        var lines: [Seal.SourceLine] = []
        for s in h.sources {
            let set = Seal.setHash(hashesBySource[s.seq] ?? [])
            if set != s.setSHA256 {
                report.problems.append("capture \(h.id): source \(s.source)=\(s.target) holds other items than it was sealed with")
            }
            lines.append(s)
        }
        let manifest = Seal.manifest(id: h.id, startedAt: h.startedAt, finishedAt: h.finishedAt, host: h.host,
                                     toolVersion: h.toolVersion, profileSHA256: h.profileSHA256, sources: lines,
                                     factsSHA256: h.factsSHA256)
        if manifest != h.manifestSHA256 {
            report.problems.append("capture \(h.id): its manifest does not match its header and sources")
        }
        if Seal.seal(previous: h.prevSeal, manifest: h.manifestSHA256) != h.seal {
            report.problems.append("capture \(h.id): its seal does not match its manifest and previous seal")
        }
        for s in h.signatures where !CaptureSigning.isValid(captureID: h.id, seal: h.seal, publicKey: s.publicKey, signature: s.signature) {
            report.problems.append("capture \(h.id): its seal signature by \(s.keyID) does not verify")
        }
        if let trusted, let s = h.signatures.first(where: { $0.keyID == SigningKeys.keyID(trusted) }),
           !CaptureSigning.isValid(captureID: h.id, seal: h.seal, publicKey: trusted.rawRepresentation.base64EncodedString(), signature: s.signature)
        {
            report.problems.append("capture \(h.id): its seal signature does not verify with the given public key")
        }
    }

    /// A whole (small) entry, or nil.
    private func read(_ path: String) -> Data? {
        guard let entry = archive[path], entry.uncompressedSize < 256 << 20 else { return nil }
        var out = Data()
        do { _ = try archive.extract(entry) { out.append($0) } } catch { return nil }
        return out
    }

    /// Calls `body` with each line of an entry, streaming; false when the entry is missing or damaged.
    private func stream(_ path: String, _ body: (Data) -> Void) -> Bool {
        guard let entry = archive[path] else { return false }
        var pending = Data()
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20) { chunk in
                pending.append(chunk)
                var start = pending.startIndex
                while let nl = pending[start...].firstIndex(of: 0x0A) {
                    if nl > start { body(Data(pending[start..<nl])) }
                    start = nl + 1
                }
                pending = Data(pending[start...])
            }
        } catch { return false }
        if !pending.isEmpty { body(pending) }
        return true
    }
}
