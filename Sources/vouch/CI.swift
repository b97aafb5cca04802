import ArgumentParser
import Foundation
import VouchCollectors
import VouchControls
import VouchCore
import VouchReports

extension Vouch {
    struct CI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ci",
            abstract: "The pipeline gate: collect repository paths, evaluate, compare with a baseline, write reports.",
            discussion: """
                Collects the sources of --source and the profile (repository paths only: live sources such as \
                bpf=live, talos=live or http(s) endpoints are refused), evaluates the controls, compares the new \
                capture with a baseline (--baseline STORE_FILE, its newest capture unless --baseline-capture ID; \
                or --baseline-capture ID alone, in --store), and writes the requested formats to --out.

                File times, inodes and owners differ between checkouts, so the files source's mtime, mtime_ns, \
                ctime_ns, inode, uid and gid are ignored unless --keep-file-metadata is given.

                --fail-on regressions (default): checks that passed in the baseline and fail now, and new failures.
                --fail-on failures: any failing check in the new capture. --fail-on drift: any change at all.
                --fail-on none: report only.

                Exit 0 clean, 1 when --fail-on is met, 2 on an error (including a source that could not be read).
                """)

        enum FailOn: String, ExpressibleByArgument, CaseIterable { case regressions, failures, drift, none }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var catalogOptions: CatalogOptions

        @Option(name: .customLong("source"), help: ArgumentHelp("A repository path to collect, as KIND=TARGET (repeatable).", valueName: "KIND=TARGET"))
        var sources: [String] = []

        @Option(help: ArgumentHelp("The baseline store file (e.g. the main branch's, restored from a cache or artifact).", valueName: "STORE_FILE"))
        var baseline: String?

        @Option(help: ArgumentHelp("The baseline capture id (in --baseline, else in --store).", valueName: "ID"))
        var baselineCapture: Int64?

        @Option(help: ArgumentHelp("Formats to write, comma-separated: \(DriftFormat.allCases.map(\.rawValue).joined(separator: ",")).", valueName: "LIST"))
        var format: String = "text"

        @Option(help: ArgumentHelp("The folder for the report files (drift.junit.xml, drift.sarif, …). Without it, one format goes to standard output.", valueName: "DIR"))
        var out: String?

        @Option(help: "When to exit 1: regressions, failures, drift or none.")
        var failOn: FailOn = .regressions

        @Option(name: .customLong("ignore"), help: ArgumentHelp("A field to leave out of the comparison, as PATH or KIND:PATH (repeatable).", valueName: "PATTERN"))
        var ignore: [String] = []

        @Flag(help: "Do not evaluate (no controls catalog here): only item and Talos drift are compared.")
        var noEvaluate = false

        @Flag(help: "Compare file times, inodes and owners too.")
        var keepFileMetadata = false

        func formats() throws -> [DriftFormat] {
            try format.split(separator: ",").map { part in
                guard let f = DriftFormat(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown format '\(part)'; choose from \(DriftFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return f
            }
        }

        func validate() throws {
            let f = try formats()
            if out == nil, f.filter({ $0 != .github }).count > 1 {
                throw ValidationError("several formats need --out DIR (only one can go to standard output)")
            }
            for s in sources {
                let r = try SourceRequest.parse(s)
                guard CollectorRegistry.collector(for: r.source) != nil else {
                    throw ValidationError("unknown source '\(r.source)'; known: \(CollectorRegistry.sourceNames.joined(separator: ", "))")
                }
            }
            for p in ignore { _ = try DriftIgnore.parse(p) }
        }

        /// File fields that differ between two checkouts of the same commit.
        static let checkoutMetadata = ["$.mtime", "$.mtime_ns", "$.ctime_ns", "$.inode", "$.uid", "$.gid"]

        /// Why a source reads a live system (refused in CI), or nil.
        static func liveReason(_ r: SourceRequest) -> String? {
            if r.target == "live" { return "source \(r.source)=live" }
            if r.target.contains("://") { return "source \(r.source)=\(r.target) (a network endpoint)" }
            if r.source == "bpf", r.target.hasPrefix("/sys/fs/bpf") { return "source bpf=\(r.target) (the kernel's BPF file system)" }
            return nil
        }

        func run() async throws {
            try runMapped {
                let logger = global.logger()
                let profile = try global.loadProfile()
                let requests = try profile.sources() + sources.map(SourceRequest.parse)
                guard !requests.isEmpty else {
                    throw ValidationError("nothing to collect: give --source KIND=TARGET or list sources in the profile")
                }
                if let live = requests.lazy.compactMap(Self.liveReason).first { throw DriftError.liveSourceInCI(live) }
                let formats = try formats()
                let evaluation = try Evaluation.load(catalogOptions, profile: profile, disabled: noEvaluate)
                // The baseline is opened first: a wrong path fails before anything is collected.
                let store = try global.openStore()
                var baselineSide: (store: EvidenceStore, capture: Int64)?
                if let baseline {
                    let b = try EvidenceStore(path: baseline, readOnly: true)
                    baselineSide = (b, try b.resolveCapture(baselineCapture))
                } else if let baselineCapture {
                    baselineSide = (store, try store.resolveCapture(baselineCapture))
                }
                let runner = CaptureRunner(store: store, collectors: CollectorRegistry.all, baseDirectory: profile.directory,
                                           logger: logger, profileSHA256: profile.sha256)
                let outcome = try runner.run(requests)
                let note = "capture \(outcome.captureID): \(outcome.itemCount) items, \(outcome.errorCount) errors\n"
                FileHandle.standardError.write(Data(note.utf8))
                for s in outcome.sources where s.status != "ok" {
                    FileHandle.standardError.write(Data("  \(s.source)=\(s.target): \(s.status)\(s.message.map { ": " + $0 } ?? "")\n".utf8))
                }
                try evaluation?.evaluate(store, captureID: outcome.captureID)
                var ignores = try ignore.map(DriftIgnore.parse) + DriftCommandSupport.profileIgnores(global)
                if !keepFileMetadata { ignores += Self.checkoutMetadata.map { DriftIgnore(kind: "file*", path: $0) } }
                let result = try VouchCore.Drift.compare(from: baselineSide, to: (store, outcome.captureID),
                                                         options: DriftOptions(ignore: ignores))
                let render = DriftRenderOptions(baseDirectory: FileManager.default.currentDirectoryPath, includeFailing: failOn == .failures)
                for f in formats {
                    if let out {
                        let path = URL(fileURLWithPath: out).appendingPathComponent(f.fileName).path
                        if f == .github {
                            try DriftCommandSupport.emit(result, format: f, out: nil, options: render)
                        }
                        try DriftCommandSupport.writeFile(DriftRenderer.render(result, format: f, options: render), to: path)
                    } else {
                        try DriftCommandSupport.emit(result, format: f, out: nil, options: render)
                    }
                }
                if out != nil, !formats.contains(.text) {
                    FileHandle.standardOutput.write(Data(DriftRenderer.render(result, format: .text, options: render).utf8))
                }
                let failedSources = outcome.sources.filter { $0.status == "error" }.map { "\($0.source)=\($0.target)" }
                if !failedSources.isEmpty { throw DriftError.sourcesFailed(failedSources) }
                let failed: Bool
                switch failOn {
                case .regressions: failed = !result.regressions.isEmpty || !result.newFailures.isEmpty
                case .failures: failed = !result.failing.isEmpty
                case .drift: failed = result.hasChanges
                case .none: failed = false
                }
                if failed { throw ExitCode(1) }
            }
        }
    }
}
