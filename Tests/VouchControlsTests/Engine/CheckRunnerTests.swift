import Foundation
import GRDB
import Testing
@testable import VouchControls
import VouchCore
import VouchTestSupport

/// Source preconditions and parameter binding, on checks defined in the test.
@Suite struct CheckRunnerTests {
    func check(sources: [String], sql: String, inputs: [CheckInput] = []) -> Check {
        Check(id: "t.check", title: "t", description: "", sources: sources, severity: "high", inputs: inputs, sql: sql,
              remediation: "r", tests: [], file: "t.yaml", location: "t.yaml")
    }

    func run(_ c: Check, sources: [String: String], expect: [String: String], inputs: [String: JSONValue] = [:]) throws -> [String] {
        let tc = CheckTestCase(name: "t", now: nil, inputs: inputs, sources: sources, facts: [], expect: expect, location: "t")
        let dir = try TestSupport.makeTempDir("vouch-runner")
        defer { try? FileManager.default.removeItem(at: dir) }
        return try CheckTestHarness.run(c, tc, storePath: dir.appendingPathComponent("s.db").path)
    }

    let alwaysPass = "SELECT 'thing' AS resource, 'pass' AS status, 'fine' AS reason"

    @Test func aMissingOrFailedSourceGivesErrorNeverPass() throws {
        let c = check(sources: ["talos"], sql: alwaysPass)
        #expect(try run(c, sources: [:], expect: ["thing": "pass"]).isEmpty)
        #expect(try run(c, sources: ["talos": "missing"], expect: ["source talos": "error"]).isEmpty)
        #expect(try run(c, sources: ["talos": "error"], expect: ["source talos": "error"]).isEmpty)
        #expect(try run(c, sources: ["talos": "partial"], expect: ["thing": "error"]).isEmpty)
    }

    @Test func evidenceOlderThanTheProfileAllowsIsAnError() throws {
        let dir = try TestSupport.makeTempDir("vouch-runner")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try EvidenceStore(path: dir.appendingPathComponent("s.db").path)
        let c = check(sources: ["talos"], sql: alwaysPass)
        var settings = ProfileSettings()
        settings.maxEvidenceAge = 8 * 86_400
        let collected = Timestamp.parse("2026-01-01T00:00:00.000Z")!
        let sources = ["talos": SourceState(status: .ok, errorCount: 0, collectedAt: Timestamp.string(collected))]
        let rows = try store.pool.read { db -> ([CheckOutcome], [CheckOutcome]) in
            let fresh = RunContext(captureID: 1, evaluationID: 1, now: collected.addingTimeInterval(86_400), settings: settings, sources: sources)
            let stale = RunContext(captureID: 1, evaluationID: 1, now: collected.addingTimeInterval(9 * 86_400), settings: settings, sources: sources)
            return (try CheckRunner.run(c, in: db, context: fresh), try CheckRunner.run(c, in: db, context: stale))
        }
        #expect(rows.0.map(\.status) == ["pass"])
        #expect(rows.1.map(\.status) == ["error"])
        #expect(rows.1.first?.reason.contains("older than the profile's max_evidence_age") == true)
    }

    @Test func inputsAreBoundNotSpliced() throws {
        let hostile = "x'; DROP TABLE capture; --"
        let c = check(sources: ["store"], sql: "SELECT :label AS resource, 'pass' AS status, 'n=' || :n AS reason FROM capture WHERE id = :capture_id",
                      inputs: [CheckInput(name: "label", kind: .string, defaultValue: "a", description: "d"),
                               CheckInput(name: "n", kind: .integer, defaultValue: 3, description: "d")])
        #expect(try run(c, sources: [:], expect: [hostile: "pass"], inputs: ["label": .string(hostile)]).isEmpty)
    }

    @Test func listsAndDurationsBindPortably() throws {
        let c = check(sources: ["store"], sql: """
            SELECT 'member' AS resource, CASE WHEN :names LIKE '%,' || 'b' || ',%' THEN 'pass' ELSE 'fail' END AS status, :names AS reason
            UNION ALL
            SELECT 'cutoff', CASE WHEN :age_cutoff < :now AND :age = 7200 THEN 'pass' ELSE 'fail' END, :age_cutoff
            """, inputs: [CheckInput(name: "names", kind: .list, defaultValue: ["a", "b"], description: "d"),
                          CheckInput(name: "age", kind: .duration, defaultValue: "2h", description: "d")])
        #expect(try run(c, sources: [:], expect: ["member": "pass", "cutoff": "pass"]).isEmpty)
        #expect(try run(c, sources: [:], expect: ["member": "fail", "cutoff": "pass"], inputs: ["names": ["a", "c"]]).isEmpty)
    }

    @Test func unknownStatusesAndBrokenSQLBecomeErrors() throws {
        let unknown = check(sources: ["store"], sql: "SELECT 'r' AS resource, 'great' AS status, 'x' AS reason")
        #expect(try run(unknown, sources: [:], expect: ["r": "error"]).isEmpty)
        let overflow = check(sources: ["store"], sql: "SELECT 'r' AS resource, 'pass' AS status, abs(-9223372036854775807 - 1) AS reason")
        #expect(try run(overflow, sources: [:], expect: ["(check)": "error"]).isEmpty)
    }

    @Test func parameterNamesIgnoreStringsCommentsAndCasts() {
        let names = InputBinding.parameterNames(in: "SELECT ':no' AS a, x::text, :yes -- :comment\n, :also_yes, :yes")
        #expect(names == ["yes", "also_yes"])
    }

    @Test func durationsParse() {
        #expect(DurationText.seconds("400d") == Int64(34_560_000))
        let expected: Int64 = 31_536_000 + 1_209_600 + 259_200 + 14_400 + 306
        #expect(DurationText.seconds("1y2w3d4h5m6s") == expected)
        #expect(DurationText.seconds("90") == 90)
        #expect(DurationText.seconds("soon") == nil)
        #expect(DurationText.seconds("5x") == nil)
    }
}
