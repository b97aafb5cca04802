import Foundation
import Testing
import VouchTestSupport

/// Captures land whole or not at all, under kill -9 and under concurrency.
@Suite struct AtomicityTests {
    /// A tree big enough that a capture takes a moment: many small files and one larger file.
    func bigTree() throws -> URL {
        let dir = try TestSupport.makeTempDir("atomic")
        let root = dir.appendingPathComponent("tree")
        for d in 0..<10 {
            for f in 0..<100 {
                try TestSupport.write("file \(d)/\(f) \(UUID().uuidString)\n", to: root.appendingPathComponent("d\(d)/f\(f).txt"))
            }
        }
        try randomFile(root.appendingPathComponent("big.bin"), bytes: 24 << 20)
        return root
    }

    func randomFile(_ url: URL, bytes: Int) throws {
        let h = FileHandle(forReadingAtPath: "/dev/urandom")!
        try h.readData(ofLength: bytes).write(to: url)
        try h.close()
    }

    func integrityOK(_ db: URL) throws -> Bool {
        try TestSupport.sqlite(db, "PRAGMA integrity_check;").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok"
    }

    @Test func killNineAtRandomMomentsLeavesNoPartialCapture() throws {
        let root = try bigTree()
        let db = root.deletingLastPathComponent().appendingPathComponent("kill.db")
        var landed = 0
        // Calibrate: one capture run to the end gives the window the kills are spread over.
        let start = Date()
        let first = try TestSupport.vouch(["collect", "--store", db.path, "--source", "files=\(root.path)", "--source", "files=\(root.path)/d1"])
        #expect(first.status == 0)
        let window = max(0.2, Date().timeIntervalSince(start) * 1.3)
        for trial in 0..<20 {
            // Change one file per trial so every capture writes something new.
            try TestSupport.write("trial \(trial)\n", to: root.appendingPathComponent("trial.txt"))
            try randomFile(root.appendingPathComponent("big.bin"), bytes: 24 << 20)
            let p = Process()
            p.executableURL = TestSupport.vouchBinary
            p.arguments = ["collect", "--store", db.path, "--source", "files=\(root.path)", "--source", "files=\(root.path)/d1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(Double.random(in: 0.005...window) * 1_000_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .exit, p.terminationStatus == 0 { landed += 1 }
            guard FileManager.default.fileExists(atPath: db.path) else { continue }
            #expect(try integrityOK(db), "trial \(trial): integrity_check failed")
            let v = try TestSupport.vouch(["verify", "--store", db.path])
            #expect(v.status == 0, "trial \(trial): \(v.stdout)")
            let partial = try TestSupport.sqlite(db, """
                SELECT count(*) FROM capture WHERE seal LIKE 'pending:%' OR id NOT IN (SELECT capture_id FROM capture_source)
                   OR item_count != (SELECT coalesce(sum(item_count), 0) FROM capture_source WHERE capture_id = capture.id);
                SELECT count(*) FROM blob WHERE sha256 LIKE 'pending:%';
                """).stdout
            #expect(partial == "0\n0\n", "trial \(trial): partial capture visible: \(partial)")
        }
        print("kill -9 trials: 20 over a \(Int(window * 1000)) ms window, captures that completed before the kill: \(landed)")
    }

    @Test func fourConcurrentCollectsAllLandInOneValidChain() throws {
        let root = try bigTree()
        let db = root.deletingLastPathComponent().appendingPathComponent("concurrent.db")
        let processes = try (0..<4).map { i -> Process in
            let p = Process()
            p.executableURL = TestSupport.vouchBinary
            p.arguments = ["collect", "--store", db.path, "--source", "files=\(root.path)/d\(i)", "--source", "files=\(root.path)/big.bin"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        for p in processes { p.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0, 0, 0])
        #expect(try TestSupport.sqlite(db, "SELECT count(*) FROM capture;").stdout == "4\n")
        let v = try TestSupport.vouch(["verify", "--store", db.path])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(try integrityOK(db))
    }
}
