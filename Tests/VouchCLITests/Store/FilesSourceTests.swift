import Foundation
import Testing
import VouchTestSupport

/// The `files` source on awkward input, through the real binary.
@Suite struct FilesSourceTests {
    func query(_ db: URL, _ sql: String) throws -> String {
        try TestSupport.sqlite(db, sql).stdout
    }

    @Test func awkwardTreeGivesItemsOrClearErrorsAndNoCrash() throws {
        let dir = try TestSupport.makeTempDir("files-bad")
        let root = dir.appendingPathComponent("root")
        try TestSupport.write("ok\n", to: root.appendingPathComponent("plain.conf"))
        _ = FileManager.default.createFile(atPath: root.appendingPathComponent("empty").path, contents: Data())
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop-a").path, withDestinationPath: "loop-b")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop-b").path, withDestinationPath: "loop-a")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: "../../../../etc/passwd")
        try TestSupport.write("secret\n", to: root.appendingPathComponent("locked/inside.txt"))
        // A file name that is not UTF-8.
        let bad = root.path + "/caf\u{FFFD}"
        var raw = Array(root.path.utf8) + Array("/caf".utf8) + [0xE9, 0x2E, 0x63, 0x66, 0x67]
        raw.append(0)
        let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0, "could not create \(bad)")
        _ = write(fd, "latin-1 name\n", 13)
        close(fd)
        // A 200 MB file (sparse: fast to make, still 200 MB to read).
        let big = root.appendingPathComponent("big.img")
        _ = FileManager.default.createFile(atPath: big.path, contents: nil)
        let h = try FileHandle(forWritingTo: big)
        try h.truncate(atOffset: 200 << 20)
        try h.close()
        // Unreadable: root reads everything, so the capture runs as nobody over a tree nobody can partly read.
        chmod(dir.path, 0o777)
        chmod(root.appendingPathComponent("locked").path, 0o700)
        let db = dir.appendingPathComponent("bad.db")
        let asNobody = getuid() == 0 && TestSupport.which("setpriv") != nil
        let args = ["collect", "--store", db.path, "--source", "files=\(root.path)"]
        // GNU time measures exactly this process's peak RSS (in KiB).
        let rssFile = dir.appendingPathComponent("rss")
        var command = [TestSupport.vouchBinary.path] + args
        if asNobody {
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        } else {
            TestSupport.skip("not root or no setpriv: the unreadable-folder case is not exercised")
        }
        let r = try TestSupport.run("/usr/bin/time", ["-f", "%M", "-o", rssFile.path] + command)
        // GNU time writes "Command exited with non-zero status N" first when the exit code is not 0.
        let peakKiB = Int(try String(contentsOf: rssFile, encoding: .utf8).split(separator: "\n").last ?? "") ?? Int.max
        #expect(r.status == (asNobody ? 3 : 0), "\(r.stdout)\(r.stderr)")
        let rows = try query(db, "SELECT kind || ' ' || subject || ' ' || coalesce(json_extract(data, '$.error'), '') FROM evidence ORDER BY seq;")
        #expect(rows.contains("file plain.conf"))
        #expect(rows.contains("file empty"))
        #expect(rows.contains("file.symlink loop-a"))
        #expect(rows.contains("file.symlink escape"))
        #expect(rows.contains("file caf\\xE9.cfg"), "\(rows)")
        #expect(rows.contains("file big.img"))
        if asNobody {
            #expect(rows.contains("files.error locked cannot read this folder: Permission denied"), "\(rows)")
        }
        #expect(try query(db, "SELECT json_extract(data, '$.inside_root') FROM evidence WHERE subject = 'escape';") == "0\n")
        #expect(try query(db, "SELECT json_extract(data, '$.path_hex') FROM evidence WHERE subject LIKE 'caf%';") == "636166e92e636667\n")
        #expect(try query(db, "SELECT json_extract(data, '$.size'), json_extract(data, '$.sha256') FROM evidence WHERE subject = 'empty';")
                == "0|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n")
        let bigSHA = try TestSupport.run("/usr/bin/sha256sum", [big.path]).stdout.prefix(64)
        #expect(try query(db, "SELECT json_extract(data, '$.sha256') FROM evidence WHERE subject = 'big.img';") == "\(bigSHA)\n")
        // Bounded memory while a 200 MB file streamed through (ru_maxrss is in KiB).
        #expect(peakKiB < 100 * 1024, "peak RSS \(peakKiB) KiB")
        print("files source, 200 MB file: peak RSS \(peakKiB / 1024) MiB")
        let v = try TestSupport.vouch(["verify", "--store", db.path])
        #expect(v.status == 0, "\(v.stdout)")
    }

    @Test func secondCaptureOfUnchangedFilesAddsNoBlobRows() throws {
        let dir = try TestSupport.makeTempDir("files-dedup")
        let root = dir.appendingPathComponent("etc")
        for i in 0..<50 { try TestSupport.write("setting \(i)\n", to: root.appendingPathComponent("f\(i).conf")) }
        let db = dir.appendingPathComponent("d.db")
        #expect(try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(root.path)"]).status == 0)
        let blobs = try query(db, "SELECT count(*), (SELECT count(*) FROM blob_chunk), (SELECT count(*) FROM item) FROM blob;")
        #expect(try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(root.path)"]).status == 0)
        #expect(try query(db, "SELECT count(*), (SELECT count(*) FROM blob_chunk), (SELECT count(*) FROM item) FROM blob;") == blobs)
        #expect(try query(db, "SELECT count(*) FROM evidence GROUP BY capture_id;") == "50\n50\n")
        // A changed file adds exactly one blob.
        try TestSupport.write("setting changed\n", to: root.appendingPathComponent("f7.conf"))
        #expect(try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(root.path)"]).status == 0)
        #expect(try query(db, "SELECT count(*) FROM blob;") == "51\n")
    }

    @Test func privateKeysInFilesAreFingerprintedBeforeStorage() throws {
        let dir = try TestSupport.makeTempDir("files-secret")
        let root = dir.appendingPathComponent("etc")
        let keyBody = "MIIEowIBAAKCAQEAplantedSecretKeyMaterial0123456789"
        try TestSupport.write("host: a\nkey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  \(keyBody)\n  -----END RSA PRIVATE KEY-----\n",
                              to: root.appendingPathComponent("node.yaml"))
        let db = dir.appendingPathComponent("s.db")
        let r = try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(root.path)", "--log-level", "trace"])
        #expect(r.status == 0)
        #expect(!r.stderr.contains(keyBody) && !r.stdout.contains(keyBody))
        for suffix in ["", "-wal"] {
            if let bytes = FileManager.default.contents(atPath: db.path + suffix) {
                #expect(bytes.range(of: Data(keyBody.utf8)) == nil)
            }
        }
        #expect(try query(db, "SELECT json_extract(data, '$.redacted') FROM evidence;") == "1\n")
    }

    @Test func unknownSourceAndBadSpecAreUsageErrors() throws {
        let dir = try TestSupport.makeTempDir("files-usage")
        let db = dir.appendingPathComponent("u.db").path
        let a = try TestSupport.vouch(["collect", "--store", db, "--source", "nosuch=x"])
        #expect(a.status == 2 && a.stderr.contains("unknown source 'nosuch'"))
        let b = try TestSupport.vouch(["collect", "--store", db, "--source", "files"])
        #expect(b.status == 2 && b.stderr.contains("KIND=TARGET"))
        let c = try TestSupport.vouch(["collect", "--store", db, "--source", "files=\(dir.path)/missing"])
        #expect(c.status == 3 && c.stdout.contains("files=\(dir.path)/missing: error"), "\(c.stdout)")
    }

    @Test func queryIsReadOnlyAndFormatsOutput() throws {
        let dir = try TestSupport.makeTempDir("query")
        let root = dir.appendingPathComponent("etc")
        try TestSupport.write("a,b\n", to: root.appendingPathComponent("x.csv"))
        let db = dir.appendingPathComponent("q.db").path
        #expect(try TestSupport.vouch(["collect", "--store", db, "--source", "files=\(root.path)"]).status == 0)
        let csv = try TestSupport.vouch(["query", "--store", db, "--format", "csv", "SELECT subject, 'a,\"b' AS odd FROM evidence"])
        #expect(csv.stdout == "subject,odd\nx.csv,\"a,\"\"b\"\n")
        let json = try TestSupport.vouch(["query", "--store", db, "--format", "json", "SELECT id, subject FROM evidence"])
        #expect(json.stdout == "[{\"id\":1,\"subject\":\"x.csv\"}]\n")
        let w = try TestSupport.vouch(["query", "--store", db, "DELETE FROM item"])
        #expect(w.status == 2 && w.stderr.contains("refused"))
        #expect(try TestSupport.vouch(["verify", "--store", db]).status == 0)
        let list = try TestSupport.vouch(["captures", "list", "--store", db])
        #expect(list.stdout.contains("files=\(root.path)"))
        let show = try TestSupport.vouch(["captures", "show", "1", "--store", db])
        #expect(show.stdout.contains("file  x.csv"))
    }
}
