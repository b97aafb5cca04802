import Foundation
import Logging
import VouchCollectors
import VouchControls
import VouchCore
import VouchReports

/// The cycle of `vouch run`: capture → evaluate → drift → alert → metrics → prune, then wait.
final class RunLoop: @unchecked Sendable {
    struct Settings {
        var interval: TimeInterval
        var jitter: TimeInterval
        var cycles: Int?
        var alertEvents: Set<AlertEvent>
        var webhooks: [URL]
        var alertmanagers: [URL]
        var sender: AlertSender
        var pruning: PruningPolicy
        var metricsFile: String?
        var ignore: [DriftIgnore] = []
    }

    let store: EvidenceStore
    let profile: Profile
    let requests: [SourceRequest]
    let evaluation: Evaluation?
    let settings: Settings
    let logger: Logger
    private let lock = NSLock()
    private var metrics: RunMetrics
    private var backoff = SourceBackoff()
    private let stop = StopSignal()

    init(store: EvidenceStore, profile: Profile, requests: [SourceRequest], evaluation: Evaluation?, settings: Settings, logger: Logger) {
        self.store = store
        self.evaluation = evaluation
        self.profile = profile
        self.requests = requests
        self.settings = settings
        self.logger = logger
        self.metrics = RunMetrics(store: store.path)
    }

    func metricsText() -> String {
        lock.lock()
        defer { lock.unlock() }
        return metrics.text
    }

    private func updateMetrics(_ body: (inout RunMetrics) -> Void) {
        lock.lock()
        body(&metrics)
        let snapshot = metrics
        lock.unlock()
        if let file = settings.metricsFile {
            do { try snapshot.write(to: file) } catch {
                logger.error("cannot write the metrics file", metadata: ["file": "\(file)", "reason": "\(error.localizedDescription)"])
            }
        }
    }

    func run() async {
        stop.install()
        var cycle = 0
        while !stop.requested {
            cycle += 1
            let started = DispatchTime.now()
            await runCycle(cycle)
            if let max = settings.cycles, cycle >= max { break }
            let jitter = settings.jitter > 0 ? Double.random(in: 0...settings.jitter) : 0
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            stop.wait(seconds: max(0, settings.interval + jitter - elapsed))
        }
        if stop.requested { say("stopped by signal after \(cycle) cycle(s)") }
    }

    private func runCycle(_ cycle: Int) async {
        say("cycle \(cycle): collecting \(requests.count) source(s)")
        var skipped: [String: String] = [:]
        for r in requests { if let why = backoff.skipReason(r, cycle: cycle) { skipped[SourceBackoff.key(r)] = why } }
        let collectors = CollectorRegistry.all.map { c -> any Collector in BackoffCollector(inner: c, skipped: skipped) }
        let runner = CaptureRunner(store: store, collectors: collectors, baseDirectory: profile.directory, logger: logger,
                                   profileSHA256: profile.sha256)
        let startedAt = Date()
        let outcome: CaptureOutcome
        do {
            outcome = try runner.run(requests)
        } catch {
            logger.error("the capture failed; nothing of it landed", metadata: ["reason": "\((error as? LocalizedError)?.errorDescription ?? "\(error)")"])
            say("cycle \(cycle): capture failed: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
            updateMetrics { $0.cyclesTotal += 1; $0.cycleFailuresTotal += 1 }
            return
        }
        let duration = Date().timeIntervalSince(startedAt)
        for (r, s) in zip(requests, outcome.sources) where skipped[SourceBackoff.key(r)] == nil {
            let prefix = "source \(SourceBackoff.key(r)) failed: "
            let message = s.message.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 } ?? "the source could not be read"
            backoff.record(r, failed: s.status == "error" ? message : nil, cycle: cycle)
        }
        var line = "cycle \(cycle): capture \(outcome.captureID) sealed, \(outcome.itemCount) items, \(outcome.errorCount) errors in \(DurationText.format(duration))"
        if !skipped.isEmpty { line += "; backing off: \(skipped.keys.sorted().joined(separator: ", "))" }
        do {
            if let evaluation {
                let s = try evaluation.evaluate(store, captureID: outcome.captureID)
                line += "; evaluated: \(s.count(checkStatus: "fail")) failing, \(s.count(checkStatus: "error")) in error"
            }
        } catch {
            logger.error("evaluation failed", metadata: ["capture": "\(outcome.captureID)", "reason": "\((error as? LocalizedError)?.errorDescription ?? "\(error)")"])
        }
        var result: DriftResult?
        do {
            let previous = try VouchCore.Drift.previousCapture(store, before: outcome.captureID)
            let r = try VouchCore.Drift.compare(from: previous.map { (store, $0) }, to: (store, outcome.captureID),
                                                options: DriftOptions(ignore: settings.ignore))
            result = r
            if r.from != nil {
                line += "; drift: \(r.items.count) item(s), \(r.regressions.count) regression(s), \(r.newFailures.count) new failure(s), \(r.talos.count) Talos difference(s)"
            }
        } catch {
            logger.error("drift failed", metadata: ["reason": "\((error as? LocalizedError)?.errorDescription ?? "\(error)")"])
        }
        var sent = 0, failed = 0
        if let r = result, r.from != nil, !(settings.webhooks.isEmpty && settings.alertmanagers.isEmpty),
           let event = AlertEvent.of(r, enabled: settings.alertEvents) {
            (sent, failed) = await alert(r, event: event)
            line += "; alert (\(event.rawValue)): \(sent) delivered, \(failed) failed"
        }
        var pruned: [Int64] = []
        if !settings.pruning.isEmpty {
            do {
                let outcome = try Pruning.apply(store, policy: settings.pruning, reason: "vouch run retention policy")
                pruned = outcome.captures
                if !pruned.isEmpty { line += "; pruned capture(s) \(pruned.map(String.init).joined(separator: ", "))" }
                if !outcome.kept.isEmpty {
                    line += "; kept capture(s) \(outcome.kept.map(String.init).joined(separator: ", ")): later captures build on their git"
                        + " history, which they cannot hand over verifiably (sealed by an earlier version, or changed: run `vouch verify`)"
                }
            } catch {
                logger.error("pruning failed", metadata: ["reason": "\((error as? LocalizedError)?.errorDescription ?? "\(error)")"])
            }
        }
        let sourceMetrics = zip(requests, outcome.sources).map { r, s in
            RunMetrics.Source(source: s.source, target: s.target, items: s.itemCount, errors: s.errorCount, up: s.status != "error",
                              backoffFailures: backoff.failures(r))
        }
        updateMetrics { m in
            m.cyclesTotal += 1
            m.lastCaptureID = outcome.captureID
            m.lastCaptureTimestamp = startedAt.timeIntervalSince1970
            m.lastCaptureDuration = duration
            m.lastSuccessTimestamp = Date().timeIntervalSince1970
            m.sources = sourceMetrics
            if let result { m.record(result) }
            m.alertsSentTotal += sent
            m.alertFailuresTotal += failed
            m.prunedCapturesTotal += pruned.count
        }
        say(line)
    }

    /// Sends one alert to every receiver; returns (delivered, failed).
    private func alert(_ r: DriftResult, event: AlertEvent) async -> (Int, Int) {
        let host = CaptureRunner.hostName()
        var sent = 0, failed = 0
        var jobs: [(JSONValue, URL)] = settings.webhooks.map { (AlertPayload.webhook(r, event: event, host: host, store: store.path), $0) }
        jobs += settings.alertmanagers.map { (AlertPayload.alertmanager(r, event: event, host: host, store: store.path, now: Date()), $0) }
        for (body, url) in jobs {
            let d = await settings.sender.post(body, to: url)
            if d.delivered { sent += 1 } else {
                failed += 1
                logger.error("alert not delivered", metadata: ["url": "\(d.url)", "attempts": "\(d.attempts)", "reason": "\(d.lastError ?? "")"])
            }
        }
        return (sent, failed)
    }
}

/// Wraps a collector so that sources backing off fail fast with the reason (an error item) instead of running.
struct BackoffCollector: Collector {
    let inner: any Collector
    let skipped: [String: String]
    var source: String { inner.source }
    var targetSyntax: String { inner.targetSyntax }
    var summary: String { inner.summary }

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        if let why = skipped[request.source + "=" + request.target] {
            throw CollectError.sourceFailed(source: request.source, target: request.target, reason: why)
        }
        try inner.collect(request, into: sink)
    }
}

/// SIGTERM/SIGINT: the first asks the loop to stop after the capture in progress; a second one
/// exits at once (SQLite rolls the open capture transaction back, so nothing of it lands).
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private let wake = DispatchSemaphore(value: 0)
    private var sources: [DispatchSourceSignal] = []

    var requested: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }

    func install() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in
                lock.lock()
                count += 1
                let n = count
                lock.unlock()
                if n > 1 { _exit(128 + sig) }
                FileHandle.standardError.write(Data("vouch run: stopping after the current step (signal \(sig)); send it again to abandon the capture in progress\n".utf8))
                wake.signal()
            }
            s.resume()
            sources.append(s)
        }
    }

    /// Sleeps, waking early on a stop signal.
    func wait(seconds: TimeInterval) {
        guard !requested, seconds > 0 else { return }
        _ = wake.wait(timeout: .now() + seconds)
    }
}

/// The controls engine as `run` and `ci` use it: loaded once, then one evaluation per capture.
struct Evaluation {
    let catalog: Catalog
    let settings: ProfileSettings
    let profileSHA256: String?

    /// Loads the catalog and the profile's settings; nil (said once on standard error) with `--no-evaluate`.
    static func load(_ options: CatalogOptions, profile: Profile, disabled: Bool) throws -> Evaluation? {
        if disabled {
            FileHandle.standardError.write(Data("note: --no-evaluate: captures are not evaluated, so check regressions are not reported; item and Talos drift still are\n".utf8))
            return nil
        }
        let catalog = try options.load(profile: profile)
        return Evaluation(catalog: catalog, settings: try ProfileSettings.load(profile, catalog: catalog), profileSHA256: profile.sha256)
    }

    /// Evaluates one capture (results land in the engine tables).
    @discardableResult
    func evaluate(_ store: EvidenceStore, captureID: Int64) throws -> VouchControls.EvaluationSummary {
        try PolicyVerifier.refresh(store: store, captureID: captureID)
        return try Evaluator(store: store, catalog: catalog, settings: settings, profileSHA256: profileSHA256).evaluate(captureID: captureID)
    }
}

/// One line to standard output, unbuffered (a log collector sees each cycle as it ends).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
