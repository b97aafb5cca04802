import Foundation
import Testing
@testable import VouchControls
import VouchCore
import VouchTestSupport

@Suite struct ProfileSettingsTests {
    func load(_ yaml: String) throws -> ProfileSettings {
        let dir = try TestSupport.makeTempDir("vouch-profile")
        let path = dir.appendingPathComponent("vouch.yaml")
        try TestSupport.write(yaml, to: path)
        return try ProfileSettings.load(try Profile.load(path: path.path), catalog: ShippedCatalog.catalog)
    }

    func problems(_ yaml: String) throws -> String {
        do { _ = try load(yaml); return "" } catch let e as CatalogError { return e.errorDescription ?? "" }
    }

    @Test func theStarterProfileIsValid() throws {
        let text = try String(contentsOf: ShippedCatalog.directory.appendingPathComponent("starter-profile.yaml"), encoding: .utf8)
        let s = try load(text)
        #expect(s.organisation == "Example Ltd")
        #expect(s.maxEvidenceAge == Int64(691_200))
        #expect(s.inputs["max_capture_age"] == "26h")
    }

    @Test func sectionsAreRead() throws {
        let s = try load("""
            inputs: {max_capture_age: 2h}
            checks:
              store.sources-clean: {enabled: false, reason: not needed here}
            applicability:
              A.7.4: {applicable: false, justification: Hosted in a certified data centre}
              A.8.15: {applicable: true, justification: Risk R-12}
            exceptions:
              - {check: store.sources-clean, resource: "talos=*", reason: known broken file, approver: CISO, expires: 2026-12-31}
            attestations:
              - control: A.5.1
                statement: Policy approved
                owner: CISO
                date: 2026-01-10
                review-by: 2027-01-10
                evidence: https://example.com/policy.pdf
            """)
        #expect(s.checks["store.sources-clean"]?.enabled == false)
        #expect(s.applicability(of: "A.7.4").applicable == false)
        #expect(s.applicability(of: "A.8.15").justification == "Risk R-12")
        #expect(s.applicability(of: "A.5.1").applicable)
        #expect(s.exceptions.first?.matches(check: "store.sources-clean", resource: "talos=./cfg") == true)
        #expect(s.exceptions.first?.matches(check: "store.sources-clean", resource: "files=./etc") == false)
        #expect(DateText.day(try #require(s.exceptions.first).expires) == "2026-12-31")
        #expect(s.attestation(for: "A.5.1")?.evidence == "https://example.com/policy.pdf")
        let fresh = try #require(ShippedCatalog.catalog.checks["store.capture-fresh"])
        #expect(s.inputValues(for: fresh)["max_capture_age"] == "2h")
    }

    @Test func mistakesNameTheLineAndWhatToDo() throws {
        let text = try problems("""
            organisation: X
            applicability:
              A.7.4: {applicable: false}
              A.9.9: {applicable: true}
            inputs:
              max_capture_age: soon
              no_such_input: 3
            exceptions:
              - check: store.nope
                resource: "*"
                reason: r
                approver: a
                expires: next year
            attestations:
              - {control: A.5.1, statement: s, owner: o, date: 2026-02-01}
            """)
        #expect(text.contains("vouch.yaml:3: a control excluded from the Statement of Applicability needs a `justification:`"), "\(text)")
        #expect(text.contains("vouch.yaml:4: there is no control 'A.9.9'"), "\(text)")
        #expect(text.contains("vouch.yaml:6: expected a duration"), "\(text)")
        #expect(text.contains("vouch.yaml:7: no check declares an input 'no_such_input'"), "\(text)")
        #expect(text.contains("vouch.yaml:9: there is no check 'store.nope'"), "\(text)")
        #expect(text.contains("vouch.yaml:13: 'next year' is not a date"), "\(text)")
        #expect(text.contains("vouch.yaml:15: `review_by` needs a date"), "\(text)")
    }
}
