import Foundation
import GRDB
import Testing
import VouchTestSupport
@testable import VouchCore

/// Adds the items of a fixture file (`{"items": [{kind, subject, origin, data}]}`): a real collector
/// over recorded items, so drift is tested on captures with exactly known content.
struct FixtureItemsCollector: Collector {
    let source = "fixture"
    let targetSyntax = "FILE.json"
    let summary = "items from a JSON fixture (tests only)"

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let doc = try JSONValue.parse(Data(contentsOf: request.targetURL))
        for item in doc["items"]?.arrayValue ?? [] {
            try sink.add(EvidenceItem(kind: item["kind"]!.stringValue!, subject: item["subject"]!.stringValue!,
                                      origin: item["origin"]!.stringValue!, data: item["data"] ?? .object([:])))
        }
    }
}

enum DriftFixtures {
    static let dir = TestSupport.packageRoot.appendingPathComponent("fixtures/drift")

    /// A store holding capture 1 (before.json) and capture 2 (after.json).
    static func twoCaptures() throws -> EvidenceStore {
        let store = try EvidenceStore(path: try TestSupport.makeTempDir("vouch-drift").appendingPathComponent("v.db").path)
        let runner = CaptureRunner(store: store, collectors: [FixtureItemsCollector()], baseDirectory: dir)
        _ = try runner.run([SourceRequest(source: "fixture", target: "before.json")])
        _ = try runner.run([SourceRequest(source: "fixture", target: "after.json")])
        return store
    }
}

@Suite struct DriftTests {
    @Test func fixtureEditsAreReportedExactly() throws {
        let store = try DriftFixtures.twoCaptures()
        let r = try Drift.compare(from: (store, 1), to: (store, 2))
        let summary = r.items.map { "\($0.change.rawValue) \($0.kind) \($0.subject)" }
        #expect(summary == [
            "added file etc/new.conf",
            "removed k8s.namespace ns/a b",
            "changed nixos.host web1",
            "changed talos.machineconfig cp1",
            "changed talos.sysctls cp1",
        ])
        func fields(_ kind: String) -> [String] {
            r.items.first { $0.kind == kind }!.fields.map { f in
                "\(f.path): \(f.old.map(\.canonicalText) ?? "-") → \(f.new.map(\.canonicalText) ?? "-")"
            }
        }
        #expect(fields("talos.machineconfig") == [
            "$.cluster.secret: \"sha256:\(String(repeating: "1", count: 64))\" → \"sha256:\(String(repeating: "2", count: 64))\"",
            "$.machine.install.image: \"ghcr.io/siderolabs/installer:v1.9.0\" → \"ghcr.io/siderolabs/installer:v1.9.2\"",
        ])
        // One inserted port is one addition, not every later index changed.
        #expect(fields("nixos.host") == [
            "$.networking.firewall.allowedTCPPorts[1]: - → 80",
            "$.services.openssh.settings.PermitRootLogin: \"no\" → \"yes\"",
        ])
        #expect(fields("talos.sysctls") == ["$[\"net.ipv4.ip_forward\"]: \"0\" → \"1\""])
        #expect(r.items.first { $0.change == .added }!.origin == "/srv/checkout-b/infra/etc/new.conf")
        #expect(r.hasChanges)
        #expect(r.notes.count == 2, "both captures are unevaluated: \(r.notes)")
        // The same capture against itself: nothing.
        let same = try Drift.compare(from: (store, 2), to: (store, 2))
        #expect(!same.hasChanges && same.items.isEmpty)
    }

    @Test func ignoredFieldsAndOtherStores() throws {
        let store = try DriftFixtures.twoCaptures()
        let ignore = [try DriftIgnore.parse("talos.*:$.cluster"), try DriftIgnore.parse("$.networking")]
        let r = try Drift.compare(from: (store, 1), to: (store, 2), options: DriftOptions(ignore: ignore))
        let machine = r.items.first { $0.kind == "talos.machineconfig" }!
        #expect(machine.fields.map(\.path) == ["$.machine.install.image"])
        #expect(r.items.first { $0.kind == "nixos.host" }!.fields.map(\.path) == ["$.services.openssh.settings.PermitRootLogin"])
        #expect(throws: DriftError.self) { try DriftIgnore.parse("mtime") }
        // A baseline in another store file: matched by content, not by item ids.
        let other = try DriftFixtures.twoCaptures()
        let cross = try Drift.compare(from: (other, 1), to: (store, 2))
        #expect(cross.items.map(\.subject) == (try Drift.compare(from: (store, 1), to: (store, 2))).items.map(\.subject))
        #expect(cross.from?.store == other.path)
    }

    @Test func checkTransitionsAndControls() throws {
        let store = try DriftFixtures.twoCaptures()
        try store.pool.write { db in
            func evaluation(_ capture: Int64, _ results: [(String, String, String)], _ controls: [(String, String, [String])]) throws {
                try db.execute(sql: "INSERT INTO evaluation(capture_id, evaluated_at, catalog_sha256, tool_version) VALUES (?, '2026-11-25T00:00:00Z', 'x', 'test')",
                               arguments: [capture])
                let e = db.lastInsertedRowID
                for (check, resource, status) in results {
                    try db.execute(sql: "INSERT INTO check_result(evaluation_id, capture_id, check_id, resource, status, reason) VALUES (?, ?, ?, ?, ?, ?)",
                                   arguments: [e, capture, check, resource, status, "\(check) is \(status) on \(resource)"])
                }
                for (control, status, checks) in controls {
                    try db.execute(sql: """
                        INSERT INTO control_result(evaluation_id, capture_id, control_id, title, theme, applicable, status, checks)
                        VALUES (?, ?, ?, ?, 'Technological', 1, ?, ?)
                        """, arguments: [e, capture, control, "Title \(control)", status,
                                         JSONValue.array(checks.map { .string($0) }).canonicalText])
                }
            }
            try evaluation(1, [("ssh.no-root", "web1", "pass"), ("talos.version", "cp1", "fail"), ("time.sync", "cp1", "pass"),
                               ("git.signed", "main", "pass")],
                           [("A.8.2", "implemented", ["ssh.no-root"]), ("A.8.8", "not_implemented", ["talos.version"]),
                            ("A.8.17", "implemented", ["time.sync"])])
            try evaluation(2, [("ssh.no-root", "web1", "fail"), ("talos.version", "cp1", "pass"), ("time.sync", "cp1", "pass"),
                               ("git.signed", "main", "pass"), ("ssh.no-root", "web2", "error")],
                           [("A.8.2", "not_implemented", ["ssh.no-root"]), ("A.8.8", "implemented", ["talos.version"]),
                            ("A.8.17", "implemented", ["time.sync"])])
        }
        let r = try Drift.compare(from: (store, 1), to: (store, 2))
        #expect(r.checks.map { "\($0.kind.rawValue) \($0.checkID) \($0.resource) \($0.controls)" } == [
            "regression ssh.no-root web1 [\"A.8.2\"]",
            "new_failure ssh.no-root web2 [\"A.8.2\"]",
            "fix talos.version cp1 [\"A.8.8\"]",
        ])
        #expect(r.controls.map { "\($0.controlID) \($0.oldStatus ?? "-")→\($0.newStatus ?? "-")" } == [
            "A.8.2 implemented→not_implemented", "A.8.8 not_implemented→implemented",
        ])
        #expect(r.failing.map { "\($0.checkID) \($0.resource) \($0.status)" } == ["ssh.no-root web1 fail", "ssh.no-root web2 error"])
        #expect(r.notes.isEmpty)
    }

    @Test func declaredVersusRunningTalos() throws {
        let probe = try EvidenceStore(path: try TestSupport.makeTempDir("vouch-drift").appendingPathComponent("p.db").path)
        let hasTable = try probe.pool.read { try $0.tableExists("talos_setting") }
        guard hasTable else {
            TestSupport.skip("the talos_setting fact table is not in this build (the Talos collector has not landed)")
            return
        }
        let columns = try probe.pool.read { db in Set(try db.columns(in: "talos_setting").map(\.name)) }
        let writer = ScriptedTalosCollector(columns: columns)
        let runner = CaptureRunner(store: probe, collectors: [writer])
        _ = try runner.run([SourceRequest(source: "talos", target: "cp1.yaml"), SourceRequest(source: "talos", target: "live")])
        let r = try Drift.compare(from: nil, to: (probe, 1))
        #expect(r.talos.map { "\($0.node) \($0.path) \($0.declared?.canonicalText ?? "-") \($0.running?.canonicalText ?? "-")" } == [
            "cp1 machine.install.image \"installer:v1.9.2\" \"installer:v1.9.0\"",
            "cp1 machine.logging.destinations[0].endpoint \"udp://10.0.0.5:514\" -",
        ])
        #expect(r.hasChanges)
        // A talosctl dump recorded to a file in the repository is what ran too.
        _ = try runner.run([SourceRequest(source: "talos", target: "cp1.yaml"), SourceRequest(source: "talos", target: "dump")])
        let dumped = try Drift.compare(from: nil, to: (probe, 2))
        #expect(dumped.talos.map(\.path) == ["machine.install.image", "machine.logging.destinations[0].endpoint"])
        #expect(dumped.talos.first?.runningOrigin == "/repo/talos/cp1.talosctl.json")
        // Declared alone: nothing to compare.
        _ = try runner.run([SourceRequest(source: "talos", target: "cp1.yaml")])
        #expect(try Drift.compare(from: nil, to: (probe, 3)).talos.isEmpty)
    }
}

/// Writes talos_setting rows as the Talos collector does: a declared file and a live dump of node cp1.
struct ScriptedTalosCollector: Collector {
    let columns: Set<String>
    let source = "talos"
    let targetSyntax = "FILE|live"
    let summary = "scripted Talos settings (tests only)"

    func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let live = request.target == "live", dump = request.target == "dump"
        let origin = live ? "talosctl get machineconfig -o json --nodes cp1" : dump ? "/repo/talos/cp1.talosctl.json" : "/repo/talos/cp1.yaml"
        let data: JSONValue = dump ? ["talosctl_node": "10.0.0.2"] : ["live": .bool(live)]
        let id = try sink.add(EvidenceItem(kind: "talos.machineconfig", subject: "cp1", origin: origin, data: data))
        let running = live || dump
        var settings: [(String, String)] = [("machine.type", "\"controlplane\""),
                                            ("machine.install.image", running ? "\"installer:v1.9.0\"" : "\"installer:v1.9.2\"")]
        if !running { settings.append(("machine.logging.destinations[0].endpoint", "\"udp://10.0.0.5:514\"")) }
        for (path, value) in settings {
            var row: [String: (any DatabaseValueConvertible)?] = ["evidence_id": id, "node": "cp1", "document": "v1alpha1", "path": path, "value": value]
            if columns.contains("file") { row["file"] = live ? "live:cp1" : origin }
            if columns.contains("source_type") { row["source_type"] = live ? "live" : "declared" }
            let keys = row.keys.sorted()
            try sink.db.execute(sql: "INSERT INTO talos_setting(capture_id, \(keys.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: keys.count)))",
                                arguments: StatementArguments([sink.captureID] + keys.map { row[$0]! }))
        }
    }
}
