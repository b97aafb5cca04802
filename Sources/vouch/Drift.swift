import ArgumentParser
import Foundation
import VouchCore
import VouchReports

extension DriftFormat: ExpressibleByArgument {}

extension Vouch {
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What changed between two captures: items, check results, controls, declared vs running Talos.",
            discussion: """
                Items are matched by kind and subject; a changed item lists its differing fields as JSON paths \
                with old → new values (secrets stay fingerprints). When both captures were evaluated, check \
                results that changed status are listed (regressions pass → fail, fixes, new failures) with the \
                controls they feed. When the newer capture holds both a declared Talos config and a live talosctl \
                dump of one node, their differences are drift too.

                Formats: text (default), json, junit, sarif, github (workflow annotations; the Markdown summary \
                goes to $GITHUB_STEP_SUMMARY when set), markdown.

                The first capture of a store has nothing before it: then only declared vs running Talos is compared.

                Exit 0 when nothing changed, 1 when something did, 2 on an error.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The older capture (default: the one before --to, if any).", valueName: "ID"))
        var from: Int64?

        @Option(help: ArgumentHelp("The newer capture: an id or 'latest'.", valueName: "ID|latest"))
        var to: String = "latest"

        @Option(help: "Output format: \(DriftFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: DriftFormat = .text

        @Option(help: ArgumentHelp("Write the output to this file instead of standard output.", valueName: "FILE"))
        var out: String?

        @Option(name: .customLong("ignore"), help: ArgumentHelp(
            "A field to leave out, as PATH or KIND:PATH (e.g. 'file:$.mtime'); repeatable.", valueName: "PATTERN"))
        var ignore: [String] = []

        func validate() throws {
            if to != "latest", Int64(to) == nil { throw ValidationError("--to takes a capture id or 'latest'") }
            for p in ignore { _ = try DriftIgnore.parse(p) }
        }

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let store = try global.openStore(readOnly: true)
                let toID = try store.resolveCapture(to == "latest" ? nil : Int64(to))
                // The first capture has no predecessor: only declared vs running Talos inside it is compared.
                let fromID = try from.map { try store.resolveCapture($0) } ?? VouchCore.Drift.previousCapture(store, before: toID)
                let options = DriftOptions(ignore: try ignore.map(DriftIgnore.parse) + DriftCommandSupport.profileIgnores(global))
                let result = try VouchCore.Drift.compare(from: fromID.map { (store, $0) }, to: (store, toID), options: options)
                let render = DriftRenderOptions(baseDirectory: FileManager.default.currentDirectoryPath)
                try DriftCommandSupport.emit(result, format: format, out: out, options: render)
                if result.hasChanges { throw ExitCode(1) }
            }
        }
    }
}

/// What `drift`, `ci` and `run` share: writing a rendered result, and the profile's drift settings.
enum DriftCommandSupport {
    /// Writes one format to a file or standard output; `github` also appends the step summary.
    static func emit(_ result: DriftResult, format: DriftFormat, out: String?, options: DriftRenderOptions) throws {
        let text = DriftRenderer.render(result, format: format, options: options)
        if let out {
            try writeFile(text, to: out)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if format == .github { try DriftGitHub.writeStepSummary(result, options: options) }
    }

    static func writeFile(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw DriftError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// `drift: {ignore: ["file:$.mtime", …]}` in the profile.
    static func profileIgnores(_ global: GlobalOptions) throws -> [DriftIgnore] {
        let profile = try global.loadProfile()
        let list = profile["drift"]?["ignore"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return try list.map(DriftIgnore.parse)
    }
}
