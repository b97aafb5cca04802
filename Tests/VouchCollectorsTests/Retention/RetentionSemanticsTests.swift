import Foundation
import GRDB
import Testing
import VouchCore
@testable import VouchCollectors

/// Semantics table for `retention`: each input file gives exactly these `retention_setting` rows.
@Suite struct RetentionSemanticsTests {
    /// Expected rows: "system component instance resolution seconds size unlimited unresolved default setting".
    struct Case: CustomStringConvertible {
        var name: String
        var file: String
        var text: String
        var rows: [String]
        var errors = 0
        var description: String { name }
    }

    static let day = 86_400

    static let cases: [Case] = [
        Case(name: "Prometheus config storage.tsdb.retention (3.x)", file: "prometheus.yml", text: """
            global: {scrape_interval: 15s}
            storage:
              tsdb:
                retention:
                  time: 1y2w3d4h5m6s7ms
                  size: 512MB
            """, rows: ["prometheus tsdb prometheus.yml - 33019506 536870912 0 0 0 storage.tsdb.retention.time,storage.tsdb.retention.size"]),
        Case(name: "Prometheus config without retention gives no row", file: "prometheus.yml", text: """
            scrape_configs: [{job_name: x, static_configs: [{targets: ['localhost:9090']}]}]
            """, rows: []),
        Case(name: "Deployment args, split flag form, and size only", file: "deploy.yaml", text: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: prom, namespace: monitoring}
            spec:
              template:
                spec:
                  containers:
                  - name: prometheus
                    image: quay.io/prometheus/prometheus:v2.53.0
                    args: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.retention.time", "90d"]
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: prom-size, namespace: monitoring}
            spec:
              template:
                spec:
                  containers:
                  - name: prometheus
                    image: prom/prometheus
                    command: [/bin/prometheus, --config.file=/etc/p.yml, --storage.tsdb.retention.size=1GiB]
            """, rows: ["prometheus tsdb monitoring/prom - \(90 * day) - 0 0 0 --storage.tsdb.retention.time",
                        "prometheus tsdb monitoring/prom-size - - 1073741824 0 0 0 --storage.tsdb.retention.size"]),
        Case(name: "Prometheus server without retention flags has the 15d default", file: "sts.yaml", text: """
            kind: StatefulSet
            metadata: {name: p}
            spec: {template: {spec: {containers: [{name: p, image: prom/prometheus:v2.42.0, args: [--config.file=/c.yml]}]}}}
            """, rows: ["prometheus tsdb p - \(15 * day) - 0 0 1 (default)"]),
        Case(name: "systemd unit, continuation lines, and an environment file", file: "prometheus.service", text: """
            [Service]
            ExecStart=/usr/bin/prometheus \\
              --config.file=/etc/prometheus/prometheus.yml \\
              --storage.tsdb.retention.time=400d
            """, rows: ["prometheus tsdb prometheus.service - \(400 * day) - 0 0 0 --storage.tsdb.retention.time"]),
        Case(name: "Debian /etc/default ARGS", file: "prometheus", text: """
            # Set the command-line arguments to pass to the server.
            ARGS="--storage.tsdb.retention.time=30d --web.listen-address=127.0.0.1:9090"
            """, rows: ["prometheus tsdb prometheus - \(30 * day) - 0 0 0 --storage.tsdb.retention.time"]),
        Case(name: "unit that takes flags from $ARGS guesses nothing", file: "p.service", text: """
            [Service]
            ExecStart=/usr/bin/prometheus --config.file=/etc/p.yml $ARGS
            """, rows: []),
        Case(name: "prometheus-operator Prometheus: set, and the 24h default", file: "prom.yaml", text: """
            apiVersion: monitoring.coreos.com/v1
            kind: Prometheus
            metadata: {name: k8s, namespace: monitoring}
            spec: {retention: 400d, retentionSize: 50GB}
            ---
            apiVersion: monitoring.coreos.com/v1
            kind: Prometheus
            metadata: {name: bare, namespace: monitoring}
            spec: {replicas: 2}
            """, rows: ["prometheus tsdb monitoring/k8s - \(400 * day) 53687091200 0 0 0 spec.retention,spec.retentionSize",
                        "prometheus tsdb monitoring/bare - \(day) - 0 0 1 (default)"]),
        Case(name: "kube-prometheus-stack values in a Flux HelmRelease, with ${VAR}", file: "hr.yaml", text: """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: kps, namespace: observability}
            spec:
              values:
                prometheus:
                  prometheusSpec:
                    retention: ${RETENTION}
                    retentionSize: 50GB
            """, rows: ["prometheus tsdb observability/kps - - 53687091200 0 1 0 spec.values.prometheus.prometheusSpec.retention,spec.values.prometheus.prometheusSpec.retentionSize"]),
        Case(name: "plain Helm values without retention: unresolved, not guessed", file: "values.yaml", text: """
            prometheus:
              prometheusSpec:
                replicas: 1
            """, rows: ["prometheus tsdb values.yaml - - - 0 1 0 prometheus.prometheusSpec.retention"]),
        Case(name: "Thanos compactor raw 30d, 5m 180d, 1h 0d (forever)", file: "compact.yaml", text: """
            kind: StatefulSet
            metadata: {name: thanos-compact, namespace: thanos}
            spec:
              template:
                spec:
                  containers:
                  - name: thanos-compact
                    image: quay.io/thanos/thanos:v0.36.0
                    args: [compact, --wait, --retention.resolution-raw=30d, --retention.resolution-5m=180d, --retention.resolution-1h=0d]
            """, rows: ["thanos compactor thanos/thanos-compact raw \(30 * day) - 0 0 0 --retention.resolution-raw",
                        "thanos compactor thanos/thanos-compact 5m \(180 * day) - 0 0 0 --retention.resolution-5m",
                        "thanos compactor thanos/thanos-compact 1h - - 1 0 0 --retention.resolution-1h"]),
        Case(name: "Thanos compactor without flags keeps everything (defaults 0d); $(VAR) unresolved", file: "c.yaml", text: """
            kind: Deployment
            metadata: {name: c}
            spec:
              template:
                spec:
                  containers:
                  - {name: c, image: thanosio/thanos, args: [compact]}
            ---
            kind: Deployment
            metadata: {name: d}
            spec:
              template:
                spec:
                  containers:
                  - {name: d, image: thanosio/thanos, args: [compact, --retention.resolution-raw=$(RAW)]}
            """, rows: ["thanos compactor c raw - - 1 0 1 --retention.resolution-raw",
                        "thanos compactor c 5m - - 1 0 1 --retention.resolution-5m",
                        "thanos compactor c 1h - - 1 0 1 --retention.resolution-1h",
                        "thanos compactor d raw - - 0 1 0 --retention.resolution-raw"]),
        Case(name: "Thanos receive --tsdb.retention and ruler default", file: "recv.yaml", text: """
            kind: StatefulSet
            metadata: {name: recv}
            spec: {template: {spec: {containers: [{name: r, image: thanos, args: [receive, "--tsdb.retention=15d"]}]}}}
            ---
            kind: StatefulSet
            metadata: {name: rule}
            spec: {template: {spec: {containers: [{name: r, image: thanos, args: [rule, --data-dir=/d]}]}}}
            """, rows: ["thanos receive recv - \(15 * day) - 0 0 0 --tsdb.retention",
                        "thanos ruler rule - \(2 * day) - 0 0 1 --tsdb.retention"]),
        Case(name: "Loki: retention on with period and streams; off means forever", file: "loki.yaml", text: """
            auth_enabled: false
            compactor:
              retention_enabled: true
              delete_request_store: filesystem
            limits_config:
              retention_period: 744h
              retention_stream:
              - selector: '{namespace="dev"}'
                priority: 1
                period: 24h
            """, rows: ["loki compactor loki.yaml - \(31 * day) - 0 0 0 limits_config.retention_period",
                        "loki compactor loki.yaml {namespace=\"dev\"} - \(day) - 0 0 0 limits_config.retention_stream[0].period"]),
        Case(name: "Loki without compactor retention keeps logs forever", file: "loki-off.yaml", text: """
            schema_config: {configs: []}
            limits_config: {retention_period: 30d}
            """, rows: ["loki compactor loki-off.yaml - - - 1 0 1 compactor.retention_enabled"]),
        Case(name: "Helm template: {{ }} values unresolved, the rest still read", file: "prom.yml.tpl", text: """
            apiVersion: monitoring.coreos.com/v1
            kind: Prometheus
            metadata:
              name: k8s
              namespace: monitoring
            spec:
              externalUrl: https://{{ template "url" .spec }}
              {{- if .x }}
              resources:
                {{ .res | toYaml | indent 4 }}
              {{- end }}
              retention: {{ .spec.retentionTime }}
            """, rows: ["prometheus tsdb monitoring/k8s - - - 0 1 0 spec.retention"]),
        Case(name: "invalid duration is an error naming the line; the rest lands", file: "bad.yml", text: """
            storage:
              tsdb:
                retention:
                  time: -1h
            """, rows: [], errors: 1),
        Case(name: "ConfigMap holding a Prometheus config", file: "cm.yaml", text: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: prom-config, namespace: mon}
            data:
              prometheus.yml: |
                global: {}
                storage: {tsdb: {retention: {time: 60d}}}
            """, rows: ["prometheus tsdb mon/prom-config/prometheus.yml - \(60 * day) - 0 0 0 storage.tsdb.retention.time"]),
    ]

    @Test(arguments: cases)
    func semantics(_ c: Case) throws {
        let h = try CollectHarness(source: "retention", files: [c.file: c.text])
        let errors = try h.errors()
        #expect(errors.count == c.errors, "\(errors)")
        for e in errors { #expect(e.hasPrefix("\(c.file):"), "\(e)") }
        let rows = try h.rows("SELECT * FROM retention_setting").map { r -> String in
            func v(_ k: String) -> String {
                let d = r[k] as DatabaseValue
                if let i = Int64.fromDatabaseValue(d) { return String(i) }
                return String.fromDatabaseValue(d) ?? "-"
            }
            return [r["system"] as String, r["component"] as String, r["instance"] as String, v("resolution"), v("duration_seconds"),
                    v("size_bytes"), v("unlimited"), v("unresolved"), v("is_default"), r["setting"] as String].joined(separator: " ")
        }
        #expect(rows.sorted() == c.rows.sorted())
    }

    @Test func durationSyntax() {
        let full: Int64 = ((365 + 14 + 3) * 86_400 + 4 * 3600 + 5 * 60 + 6) * 1000 + 7
        let days400: Int64 = 400 * 86_400_000
        #expect(PromDuration.milliseconds("1y2w3d4h5m6s7ms") == full)
        #expect(PromDuration.milliseconds("400d") == days400)
        #expect(PromDuration.milliseconds("1y5w") == days400)
        #expect(PromDuration.milliseconds("0") == 0)
        #expect(PromDuration.milliseconds("0d") == 0)
        for bad in ["", "1.5h", "-1h", "1d1y", "1h1h", "15", "d", "1x", "1 d"] { #expect(PromDuration.milliseconds(bad) == nil, "\(bad)") }
        #expect(PromDuration.bytes("512MB") == 536_870_912)
        #expect(PromDuration.bytes("512MiB") == 536_870_912)
        #expect(PromDuration.bytes("1.5GB") == 1_610_612_736)
        #expect(PromDuration.bytes("10Gi") == 10_737_418_240)
        #expect(PromDuration.bytes("-1GB") == nil)
        #expect(PromDuration.bytes("12 parsecs") == nil)
    }
}
