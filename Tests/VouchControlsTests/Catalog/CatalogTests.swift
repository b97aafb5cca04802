import Foundation
import Testing
@testable import VouchControls
import VouchTestSupport

@Suite struct CatalogTests {
    @Test func theCatalogHas93ControlsInFourThemes() {
        let c = ShippedCatalog.catalog
        #expect(c.controls.count == 93)
        #expect(Set(c.controls.map(\.id)).count == 93)
        let byTheme = Dictionary(grouping: c.controls, by: \.theme).mapValues(\.count)
        #expect(byTheme == ["organizational": 37, "people": 8, "physical": 14, "technological": 34])
        for control in c.controls {
            #expect(!control.guidance.isEmpty)
            #expect(!control.checks.isEmpty || control.manual != nil, "\(control.id) has neither checks nor an attestation expectation")
        }
    }

    @Test func idsTitlesAndThemesMatchTheReference() throws {
        guard let shared = TestSupport.sharedDirectory else {
            TestSupport.skip("../shared is absent: the reference list of Annex A controls is not available")
            return
        }
        let csv = try String(contentsOf: shared.appendingPathComponent("reference/iso27001-2022-annex-a.csv"), encoding: .utf8)
        var reference: [String: (String, String)] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            var fields: [String] = []
            var cur = "", quoted = false
            for ch in line {
                if ch == "\"" { quoted.toggle() } else if ch == ",", !quoted { fields.append(cur); cur = "" } else { cur.append(ch) }
            }
            fields.append(cur)
            reference[fields[0]] = (fields[1], fields[2])
        }
        #expect(reference.count == 93)
        for control in ShippedCatalog.catalog.controls {
            let ref = try #require(reference[control.id], "\(control.id) is not in the reference")
            #expect(control.title == ref.0, "\(control.id)")
            #expect(control.theme == ref.1, "\(control.id)")
        }
    }

    @Test func lintIsClean() throws {
        let r = try CatalogLint.run(directory: ShippedCatalog.directory, origin: "test")
        #expect(r.problems.isEmpty, "\(r.problems.joined(separator: "\n"))")
        #expect(r.controls == 93)
        #expect(r.testCases >= r.checks)
    }

    @Test func theEngineHardCodesNoControlIdOrFrameworkName() throws {
        let dir = TestSupport.packageRoot.appendingPathComponent("Sources/VouchControls")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(text.range(of: #"A\.[5-8]\.[0-9]"#, options: .regularExpression) == nil, "\(name) names a control id")
            #expect(!text.lowercased().contains("27001"), "\(name) names the framework")
        }
    }

    @Test func lintReportsBrokenCatalogsWithFileAndLine() throws {
        let dir = try TestSupport.makeTempDir("vouch-catalog")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write("""
            id: demo
            title: Demo
            version: "1"
            themes: [{id: t, title: T}]
            catalog: [c.yaml]
            """, to: dir.appendingPathComponent("framework.yaml"))
        try TestSupport.write("""
            theme: t
            controls:
              - id: X.1
                title: One
                guidance: g
                checks: [nope]
              - id: X.2
                title: Two
                guidance: g
            """, to: dir.appendingPathComponent("c.yaml"))
        try TestSupport.write("""
            id: bad.sql
            title: Bad SQL
            sources: [store]
            severity: high
            sql: SELECT x AS resource FROM no_such_table WHERE id = :mystery
            remediation: fix it
            """, to: dir.appendingPathComponent("checks/bad.yaml"))
        let r = try CatalogLint.run(directory: dir, origin: "test")
        let text = r.problems.joined(separator: "\n")
        #expect(text.contains("c.yaml:3: control X.1 lists check 'nope'"), "\(text)")
        #expect(text.contains("c.yaml:7: control X.2 has no checks"), "\(text)")
        #expect(text.contains("no such table: no_such_table"), "\(text)")
        #expect(text.contains("uses :mystery"), "\(text)")
        #expect(text.contains("bad.sql has no test cases"), "\(text)")
        #expect(throws: CatalogError.self) { try CatalogLoader.load(directory: dir) }
    }

    @Test func theDigestChangesWithAnyFile() throws {
        let dir = try TestSupport.makeTempDir("vouch-catalog")
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("controls")
        try FileManager.default.copyItem(at: ShippedCatalog.directory, to: copy)
        let a = try CatalogLoader.load(directory: copy).sha256
        #expect(a == ShippedCatalog.catalog.sha256)
        let f = copy.appendingPathComponent("checks/store/capture-fresh.yaml")
        try (String(contentsOf: f, encoding: .utf8) + "\n# edited\n").write(to: f, atomically: true, encoding: .utf8)
        #expect(try CatalogLoader.load(directory: copy).sha256 != a)
    }
}
