import ArgumentParser
import Foundation
import Logging
import VouchCollectors
import VouchCore
import VouchReports

extension Vouch {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Capture on a schedule: collect → evaluate → drift against the previous capture → alert.",
            discussion: """
                Takes the same store, profile and --source options as `collect`. Each cycle lands one sealed capture \
                (whole or not at all), evaluates it, compares it with the previous capture and, on regressions or \
                drift, POSTs an alert to every --webhook (a JSON payload) and --alertmanager (Alertmanager v2 \
                alerts), retrying with back-off. A source that fails is retried with back-off (skipped for 1, 3, 7, … \
                cycles; it is recorded as an error item meanwhile). Old captures are pruned by --keep/--keep-for, \
                leaving pruning markers so `vouch verify` still checks the whole chain.

                One run per store: a second one on the same store exits 2 (a lock on STORE.lock). SIGTERM or SIGINT \
                lets the capture in progress finish (a second signal abandons it: nothing of it lands), then exits 0.

                Metrics (Prometheus text format): --metrics-file for node_exporter's textfile collector (replaced \
                atomically), --metrics-listen HOST:PORT serves GET /metrics.

                Exit 0 after a stop signal or the last of --cycles, 2 on a usage or configuration error.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var catalogOptions: CatalogOptions

        @Option(name: .customLong("source"), help: ArgumentHelp("A source to collect, as KIND=TARGET (repeatable).", valueName: "KIND=TARGET"))
        var sources: [String] = []

        @Flag(help: "Do not evaluate the captures (no controls catalog here); drift then covers items and Talos only.")
        var noEvaluate = false

        @Option(help: ArgumentHelp("The interval between captures, e.g. 1h, 15m, 30s.", valueName: "DURATION"))
        var every: String?

        @Option(help: ArgumentHelp("A random delay up to this much is added to each interval (spreads a fleet's load).", valueName: "DURATION"))
        var jitter: String = "0s"

        @Flag(help: "Run one cycle and exit (for systemd timers and Kubernetes CronJobs).")
        var once = false

        @Option(help: ArgumentHelp("Stop after this many cycles.", valueName: "N"))
        var cycles: Int?

        @Option(help: ArgumentHelp("Prometheus text-format metrics file, replaced atomically after every cycle.", valueName: "FILE"))
        var metricsFile: String?

        @Option(help: ArgumentHelp("Serve GET /metrics on this address, e.g. 127.0.0.1:9817.", valueName: "HOST:PORT"))
        var metricsListen: String?

        @Option(name: .customLong("webhook"), help: ArgumentHelp("POST a JSON alert here on regressions or drift (repeatable).", valueName: "URL"))
        var webhooks: [String] = []

        @Option(name: .customLong("alertmanager"), help: ArgumentHelp("POST Alertmanager v2 alerts here, e.g. http://am:9093/api/v2/alerts (repeatable).", valueName: "URL"))
        var alertmanagers: [String] = []

        @Option(help: ArgumentHelp("What raises an alert: regressions, drift, or both (comma-separated).", valueName: "LIST"))
        var alertOn: String = "regressions,drift"

        @Option(help: "Retries for an alert that could not be delivered.")
        var alertRetries: Int = 3

        @Option(help: ArgumentHelp("The first retry delay; it doubles each time.", valueName: "DURATION"))
        var alertBackoff: String = "1s"

        @Option(help: ArgumentHelp("Keep at most this many captures (older ones are pruned).", valueName: "N"))
        var keep: Int?

        @Option(help: ArgumentHelp("Keep captures younger than this, e.g. 400d.", valueName: "DURATION"))
        var keepFor: String?

        func validate() throws {
            guard once || every != nil else { throw ValidationError("give --every DURATION (e.g. --every 1h), or --once") }
            for d in [every, jitter, keepFor, alertBackoff].compactMap({ $0 }) { _ = try DurationText.parse(d) }
            if let every, try DurationText.parse(every) <= 0 { throw ValidationError("--every must be longer than zero") }
            if let cycles, cycles < 1 { throw ValidationError("--cycles must be at least 1") }
            if let keep, keep < 1 { throw ValidationError("--keep must be at least 1 (the newest capture is always kept)") }
            if alertRetries < 0 { throw ValidationError("--alert-retries cannot be negative") }
            if let metricsListen { _ = try MetricsServer.parseAddress(metricsListen) }
            for u in webhooks + alertmanagers {
                guard let url = URL(string: u), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                    throw ValidationError("'\(u)' is not an http(s) URL to send alerts to")
                }
            }
            _ = try alertEvents()
            for s in sources {
                let r = try SourceRequest.parse(s)
                guard CollectorRegistry.collector(for: r.source) != nil else {
                    throw ValidationError("unknown source '\(r.source)'; known: \(CollectorRegistry.sourceNames.joined(separator: ", "))")
                }
            }
        }

        func alertEvents() throws -> Set<AlertEvent> {
            Set(try alertOn.split(separator: ",").map { part in
                guard let e = AlertEvent(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--alert-on takes regressions and/or drift, not '\(part)'")
                }
                return e
            })
        }

        func run() async throws {
            try await runMappedAsync {
                let logger = global.logger()
                let profile = try global.loadProfile()
                let requests = try profile.sources() + sources.map(SourceRequest.parse)
                guard !requests.isEmpty else {
                    throw ValidationError("nothing to collect: give --source KIND=TARGET or list sources in the profile")
                }
                let evaluation = try Evaluation.load(catalogOptions, profile: profile, disabled: noEvaluate)
                let lock = try StoreLock(store: global.store)
                defer { lock.release() }
                let store = try global.openStore()
                var settings = RunLoop.Settings(
                    interval: try every.map(DurationText.parse) ?? 0, jitter: try DurationText.parse(jitter),
                    cycles: once ? 1 : cycles, alertEvents: try alertEvents(),
                    webhooks: webhooks.compactMap(URL.init(string:)), alertmanagers: alertmanagers.compactMap(URL.init(string:)),
                    sender: AlertSender(retries: alertRetries, backoff: try DurationText.parse(alertBackoff)),
                    pruning: PruningPolicy(keepLast: keep, keepFor: try keepFor.map(DurationText.parse)),
                    metricsFile: metricsFile)
                settings.ignore = try DriftCommandSupport.profileIgnores(global)
                let loop = RunLoop(store: store, profile: profile, requests: requests, evaluation: evaluation, settings: settings, logger: logger)
                if let metricsListen {
                    let server = try MetricsServer(address: metricsListen) { loop.metricsText() }
                    try server.start()
                    logger.notice("serving metrics", metadata: ["address": "\(server.host):\(server.port)"])
                    say("metrics on http://\(server.host):\(server.port)/metrics")
                }
                await loop.run()
            }
        }
    }
}

/// `runMapped` for async bodies.
func runMappedAsync(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let e as ExitCode { throw e } catch let e as ValidationError { throw e } catch let e as CleanExit {
        throw e
    } catch { throw fail(error) }
}
