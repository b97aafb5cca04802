import Foundation
import VouchTestSupport

/// A `vouch` process the test starts, signals and waits for, with its output collected as it comes.
final class BackgroundVouch: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    init(_ arguments: [String], cwd: URL? = nil) throws {
        process.executableURL = TestSupport.vouchBinary
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = cwd }
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = FileHandle.nullDevice
        o.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.lock(); self?.out.append(d); self?.lock.unlock()
        }
        e.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.lock(); self?.err.append(d); self?.lock.unlock()
        }
        try process.run()
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }

    /// Waits until standard output contains `text` (or the timeout passes); returns whether it did.
    @discardableResult
    func waitForOutput(_ text: String, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) }
            usleep(10_000)
        }
        return false
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the exit (killing the process after the timeout) and returns its status.
    @discardableResult
    func wait(timeout: TimeInterval = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        process.waitUntilExit()
        usleep(50_000)  // let the pipe handlers drain
        return process.terminationStatus
    }
}

enum RunFixtures {
    /// A small estate folder with a few config files.
    static func estate() throws -> URL {
        let dir = try TestSupport.makeTempDir("vouch-run-estate")
        try TestSupport.write("PermitRootLogin no\nPasswordAuthentication no\n", to: dir.appendingPathComponent("etc/ssh/sshd_config"))
        try TestSupport.write("server 10.0.0.1 iburst\n", to: dir.appendingPathComponent("etc/chrony.conf"))
        try TestSupport.write("-w /etc/passwd -p wa\n", to: dir.appendingPathComponent("etc/audit/audit.rules"))
        try TestSupport.write("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: apps}
            spec: {podSelector: {}, policyTypes: [Ingress, Egress]}

            """, to: dir.appendingPathComponent("k8s/default-deny.yaml"))
        return dir
    }

    static func scalar(_ store: URL, _ sql: String) throws -> String {
        try TestSupport.sqlite(store, sql).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The value of a metric line `name{…} value` in Prometheus text.
    static func metric(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}
