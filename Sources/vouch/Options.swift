import ArgumentParser
import Foundation
import Logging
import VouchCore

/// Options every command shares: where the store and the profile are, and logging.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The evidence store (SQLite file).", valueName: "PATH"))
    var store: String = EvidenceStore.defaultPath

    @Option(name: .long, help: ArgumentHelp("The profile (default: ./vouch.yaml when it exists).", valueName: "FILE"))
    var profile: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
    }

    /// Sets up logging once and returns the logger.
    func logger() -> Logger {
        LogSetup.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .warning, json: logFormat == "json")
        return Logger(label: "vouch")
    }

    /// The profile: `--profile`, else `./vouch.yaml` when present, else empty.
    func loadProfile() throws -> Profile {
        if let profile { return try Profile.load(path: profile) }
        if FileManager.default.fileExists(atPath: "vouch.yaml") { return try Profile.load(path: "vouch.yaml") }
        return .empty
    }

    func openStore(readOnly: Bool = false) throws -> EvidenceStore {
        try EvidenceStore(path: store, readOnly: readOnly)
    }
}

enum LogSetup {
    nonisolated(unsafe) private static var done = false
    static func bootstrap(level: Logger.Level, json: Bool) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var h: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

/// One line of progress on a terminal, nothing otherwise.
enum Progress {
    static let enabled = isatty(STDERR_FILENO) == 1
    static func line(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }
    static func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

/// Prints an error for the user and exits with the given code.
func fail(_ error: any Error, code: Int32 = 2) -> ExitCode {
    let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
    FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    return ExitCode(code)
}

/// Runs a command body, mapping library errors to exit code 2 with a clear message.
func runMapped(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch let e as ValidationError { throw e } catch let e as CleanExit {
        throw e
    } catch { throw fail(error) }
}
