import Foundation
import VouchCore

/// Helpers shared by the test targets: temporary folders, the built `vouch` binary, ../shared.
public enum TestSupport {
    /// The package root (…/Tests/VouchTestSupport/ → …/).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the checkout, or nil (a user's clone has none): tests then skip with a printed reason.
    public static var sharedDirectory: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("DESIGN.md").path) ? url : nil
    }

    /// Prints why a test is skipped (Swift Testing shows it in the log).
    public static func skip(_ reason: String, function: String = #function) {
        print("SKIP \(function): \(reason)")
    }

    /// A fresh temporary folder, removed when the test process exits
    /// (set VOUCH_KEEP_TEST_DIRS=1 to keep them for a post-mortem).
    public static func makeTempDir(_ prefix: String = "vouch-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TempDirs.shared.add(url)
        return url
    }

    /// The `vouch` executable built next to the test bundle.
    public static var vouchBinary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vouch")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/vouch")
    }

    public struct RunResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion and captures its output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], cwd: URL? = nil, env: [String: String] = [:],
                           stdin: String? = nil) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        p.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let cwd { p.currentDirectoryURL = cwd }
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        p.waitUntilExit()
        group.wait()
        return RunResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the built `vouch` with arguments.
    @discardableResult
    public static func vouch(_ arguments: [String], cwd: URL? = nil, env: [String: String] = [:]) throws -> RunResult {
        try run(vouchBinary.path, arguments, cwd: cwd, env: env)
    }

    /// Runs sqlite3 on a store file (the tamper tests use the real CLI).
    @discardableResult
    public static func sqlite(_ db: URL, _ sql: String) throws -> RunResult {
        try run("/usr/bin/sqlite3", [db.path, sql])
    }

    /// Whether a command is on PATH.
    public static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    public static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}

/// The temporary folders tests made, removed at exit: a full test run makes thousands.
final class TempDirs: @unchecked Sendable {
    static let shared = TempDirs()
    private let lock = NSLock()
    private var urls: [URL] = []
    private var registered = false

    func add(_ url: URL) {
        lock.lock()
        defer { lock.unlock() }
        urls.append(url)
        if !registered {
            registered = true
            atexit { TempDirs.shared.removeAll() }
        }
    }

    func removeAll() {
        guard ProcessInfo.processInfo.environment["VOUCH_KEEP_TEST_DIRS"] == nil else { return }
        lock.lock()
        let all = urls
        urls = []
        lock.unlock()
        for url in all where (try? FileManager.default.removeItem(at: url)) == nil {
            // Tests may have left read-only folders behind (e.g. the unreadable-folder case).
            _ = try? TestSupport.run("/bin/chmod", ["-R", "u+rwx", url.path])
            try? FileManager.default.removeItem(at: url)
        }
    }
}
