import Foundation
import Testing
@testable import VouchReports
import VouchCore
import VouchTestSupport
import ZIPFoundation

/// A store with three signed captures (files source, via the CLI), two key pairs and a signed bundle.
struct BundleFixture {
    let dir: URL
    let store: String
    let key: String, pub: String, otherKey: String, otherPub: String
    let bundle: URL

    init() throws {
        dir = try TestSupport.makeTempDir("vouch-bundle")
        store = dir.appendingPathComponent("vouch.db").path
        let estate = dir.appendingPathComponent("estate")
        try TestSupport.write("PermitRootLogin no\n", to: estate.appendingPathComponent("etc/ssh/sshd_config"))
        try TestSupport.write("servers: [ntp1]\n", to: estate.appendingPathComponent("talos/cp-1.yaml"))
        var r = try TestSupport.vouch(["keygen", "--out", dir.appendingPathComponent("keys").path])
        #expect(r.status == 0, "\(r.stderr)")
        r = try TestSupport.vouch(["keygen", "--out", dir.appendingPathComponent("other").path])
        #expect(r.status == 0, "\(r.stderr)")
        key = dir.appendingPathComponent("keys/vouch-signing.key").path
        pub = dir.appendingPathComponent("keys/vouch-signing.pub").path
        otherKey = dir.appendingPathComponent("other/vouch-signing.key").path
        otherPub = dir.appendingPathComponent("other/vouch-signing.pub").path
        for i in 0..<3 {
            try TestSupport.write("servers: [ntp\(i)]\n", to: estate.appendingPathComponent("talos/cp-1.yaml"))
            r = try TestSupport.vouch(["collect", "--store", store, "--source", "files=\(estate.path)", "--sign-key", key])
            #expect(r.status == 0, "\(r.stderr)")
        }
        bundle = dir.appendingPathComponent("bundle.zip")
        r = try export(to: bundle, key: key)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @discardableResult
    func export(to url: URL, key: String?, extra: [String] = []) throws -> TestSupport.RunResult {
        try TestSupport.vouch(["export", "--store", store, "--bundle", url.path, "--from", "1", "--to", "3",
                               "--generated-at", "2026-01-01T00:00:00Z"] + (key.map { ["--sign-key", $0] } ?? []) + extra)
    }

    /// Removes the fixture's folder (bundles are large enough to matter on a shared disk).
    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    /// Runs `vouch verify` on a bundle from an empty folder: no store anywhere near.
    func verify(_ url: URL, publicKey: String?) throws -> TestSupport.RunResult {
        let empty = try TestSupport.makeTempDir("vouch-nostore")
        defer { try? FileManager.default.removeItem(at: empty) }
        return try TestSupport.vouch(["verify", url.path] + (publicKey.map { ["--public-key", $0] } ?? []), cwd: empty)
    }

    /// The bundle's entries, in order, with their content.
    func entries(_ url: URL) throws -> [(String, Data)] {
        let archive = try Archive(url: url, accessMode: .read)
        return try archive.map { e in
            var d = Data()
            _ = try archive.extract(e) { d.append($0) }
            return (e.path, d)
        }
    }

    /// Writes a new zip holding the given entries (the tampering tool of these tests).
    func rewrite(_ entries: [(String, Data)], to url: URL) throws {
        let zip = try ZipWriter(path: url.path)
        for (name, data) in entries { try zip.add(name, data: data) }
        try zip.finish()
    }
}

@Suite("Signed auditor bundle")
struct BundleTests {
    @Test("keygen writes a 0600 private key and never overwrites one; store seals verify against the key")
    func keysAndStoreSignatures() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        var st = stat()
        #expect(stat(f.key, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let again = try TestSupport.vouch(["keygen", "--out", URL(fileURLWithPath: f.key).deletingLastPathComponent().path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("never overwrites"))
        var r = try TestSupport.vouch(["verify", "--store", f.store, "--public-key", f.pub])
        #expect(r.status == 0, "\(r.stdout)")
        r = try TestSupport.vouch(["verify", "--store", f.store, "--public-key", f.otherPub])
        #expect(r.status == 1)
        #expect(r.stdout.contains("no valid signature by the given public key"))
    }

    @Test("the untouched bundle verifies offline, without a store, with the right public key")
    func intact() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        let r = try f.verify(f.bundle, publicKey: f.pub)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("intact"))
        #expect(r.stdout.contains("3 captures"))
        let names = try f.entries(f.bundle).map(\.0)
        for expected in ["README-AUDITOR.txt", "report.html", "report.xml", "assessment-plan.xml", "report.json",
                         "evidence/captures.jsonl", "evidence/capture-1.jsonl", "evidence/capture-3.jsonl", "manifest.json"] {
            #expect(names.contains(expected), "\(expected) is missing")
        }
        #expect(names.contains { $0.hasPrefix("blobs/") })
        // Info-ZIP reads it too (an auditor's unzip).
        if let unzip = TestSupport.which("unzip") {
            #expect(try TestSupport.run(unzip, ["-tq", f.bundle.path]).status == 0)
        }
    }

    @Test("flipping one byte in each file in turn makes verify exit 1 naming that file")
    func flipEachFile() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        let entries = try f.entries(f.bundle)
        for (i, (name, data)) in entries.enumerated() {
            var changed = entries
            var bytes = data
            bytes[bytes.count / 2] ^= 0x20
            changed[i] = (name, bytes)
            let tampered = f.dir.appendingPathComponent("flip-\(i).zip")
            try f.rewrite(changed, to: tampered)
            let r = try f.verify(tampered, publicKey: f.pub)
            #expect(r.status == 1, "flipping a byte of \(name) went unnoticed")
            #expect(r.stdout.contains(name), "the report does not name \(name): \(r.stdout)")
        }
    }

    @Test("a dropped file, an added file, a swapped signature and another key each fail")
    func dropAddSwapOtherKey() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        let entries = try f.entries(f.bundle)
        let blob = try #require(entries.first { $0.0.hasPrefix("blobs/") }?.0)
        var r: TestSupport.RunResult

        let dropped = f.dir.appendingPathComponent("dropped.zip")
        try f.rewrite(entries.filter { $0.0 != blob }, to: dropped)
        r = try f.verify(dropped, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("\(blob): missing"))

        let added = f.dir.appendingPathComponent("added.zip")
        try f.rewrite(entries + [("notes/extra.txt", Data("hello".utf8))], to: added)
        r = try f.verify(added, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("notes/extra.txt: added"))

        // The signature of another bundle (same key, other content) swapped in.
        let otherBundle = f.dir.appendingPathComponent("capture3.zip")
        r = try TestSupport.vouch(["export", "--store", f.store, "--bundle", otherBundle.path, "--capture", "3", "--sign-key", f.key])
        #expect(r.status == 0)
        let otherManifest = try #require(try f.entries(otherBundle).first { $0.0 == "manifest.json" }?.1)
        let otherSignature = try #require(try JSONValue.parse(otherManifest)["signature"])
        let manifestData = try #require(entries.first { $0.0 == "manifest.json" }?.1)
        var manifest = try JSONValue.parse(manifestData)
        if case .object(var o) = manifest { o["signature"] = otherSignature; manifest = .object(o) }
        let swapped = f.dir.appendingPathComponent("swapped.zip")
        try f.rewrite(entries.map { $0.0 == "manifest.json" ? ($0.0, manifest.canonicalData) : $0 }, to: swapped)
        r = try f.verify(swapped, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("manifest.json: the signature does not verify"))

        let otherKey = f.dir.appendingPathComponent("other-key.zip")
        r = try f.export(to: otherKey, key: f.otherKey)
        #expect(r.status == 0)
        r = try f.verify(otherKey, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("does not verify with the given public key"))
        #expect(try f.verify(otherKey, publicKey: f.otherPub).status == 0)

        let unsigned = f.dir.appendingPathComponent("unsigned.zip")
        #expect(try f.export(to: unsigned, key: nil).status == 0)
        r = try f.verify(unsigned, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("not signed"))
    }

    @Test("a capture edited in the store before export breaks its seal and chain link inside the bundle")
    func chainLinkNamed() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        try TestSupport.sqlite(URL(fileURLWithPath: f.store), "UPDATE capture SET host = 'elsewhere' WHERE id = 2")
        let b = f.dir.appendingPathComponent("edited.zip")
        #expect(try f.export(to: b, key: f.key).status == 0)
        let r = try f.verify(b, publicKey: f.pub)
        #expect(r.status == 1)
        #expect(r.stdout.contains("capture 2: its manifest does not match"))
        let forged = f.dir.appendingPathComponent("forged.zip")
        try TestSupport.sqlite(URL(fileURLWithPath: f.store), "UPDATE capture SET host = (SELECT host FROM capture WHERE id = 1), prev_seal = '\(String(repeating: "1", count: 64))' WHERE id = 2")
        #expect(try f.export(to: forged, key: f.key).status == 0)
        let r2 = try f.verify(forged, publicKey: f.pub)
        #expect(r2.status == 1)
        #expect(r2.stdout.contains("chain link capture 1 → capture 2: broken"))
    }

    @Test("two exports of the same store and --generated-at are byte-identical apart from the signature")
    func deterministic() throws {
        let f = try BundleFixture()
        defer { f.cleanup() }
        let a = f.dir.appendingPathComponent("a.zip"), b = f.dir.appendingPathComponent("b.zip")
        #expect(try f.export(to: a, key: nil).status == 0)
        #expect(try f.export(to: b, key: nil).status == 0)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        let c = f.dir.appendingPathComponent("c.zip")
        #expect(try f.export(to: c, key: f.key).status == 0)
        let signed = try f.entries(f.bundle), again = try f.entries(c)
        #expect(signed.map(\.0) == again.map(\.0))
        for (x, y) in zip(signed, again) where x.0 != "manifest.json" { #expect(x.1 == y.1, "\(x.0) differs") }
        let m1 = try JSONValue.parse(signed.last!.1), m2 = try JSONValue.parse(again.last!.1)
        #expect(BundleManifest.signedBytes(m1) == BundleManifest.signedBytes(m2))
    }
}

@Suite("ZIP writer")
struct ZipWriterTests {
    @Test("text is deflated, random bytes are stored as they are; both read back intact with ZIPFoundation")
    func storesWhatDeflateCannotShrink() throws {
        let dir = try TestSupport.makeTempDir("vouch-zip")
        let url = dir.appendingPathComponent("t.zip")
        var rng = SystemRandomNumberGenerator()
        let random = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let text = Data(String(repeating: "machine:\n  type: controlplane\n", count: 20_000).utf8)
        let zip = try ZipWriter(path: url.path)
        try zip.add("random.bin", data: random)
        try zip.add("text.yaml", data: text)
        try zip.add("empty", data: Data())
        try zip.add("small", data: Data("tiny".utf8))
        try zip.finish()
        let archive = try Archive(url: url, accessMode: .read)
        var seen: [String: Data] = [:]
        for e in archive {
            var d = Data()
            _ = try archive.extract(e) { d.append($0) }
            seen[e.path] = d
            if e.path == "random.bin" { #expect(e.compressedSize == UInt64(random.count)) }
            if e.path == "text.yaml" { #expect(e.compressedSize * 50 < UInt64(text.count)) }
        }
        #expect(seen["random.bin"] == random)
        #expect(seen["text.yaml"] == text)
        #expect(seen["empty"] == Data())
        #expect(seen["small"] == Data("tiny".utf8))
    }
}
