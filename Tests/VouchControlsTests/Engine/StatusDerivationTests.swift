import Foundation
import Testing
@testable import VouchControls
import VouchCore

@Suite struct StatusDerivationTests {
    let now = Timestamp.parse("2026-03-01T00:00:00.000Z")!
    let automated = Control(id: "C.1", title: "t", theme: "x", guidance: "g", checks: ["a", "b"], manual: nil, location: "")
    let manual = Control(id: "C.2", title: "t", theme: "x", guidance: "g", checks: [], manual: "attest", location: "")

    func r(_ status: String) -> CheckOutcome {
        CheckOutcome(checkID: "a", resource: "r", status: status, reason: "", severity: "high", evidence: [], exception: nil)
    }

    func derive(_ c: Control, _ statuses: [String], applicable: Bool = true, attestation reviewBy: String? = nil) -> ControlStatus {
        let att = reviewBy.map {
            ProfileSettings.Attestation(control: c.id, statement: "s", owner: "o", date: DateText.parse("2026-01-01")!,
                                        reviewBy: DateText.parse($0)!, evidence: nil)
        }
        return StatusDerivation.derive(control: c, applicability: .init(applicable: applicable, justification: "j"),
                                       results: statuses.map(r), attestation: att, now: now).status
    }

    @Test func derivationTable() {
        #expect(derive(automated, ["pass", "pass"]) == .implemented)
        #expect(derive(automated, ["pass", "fail"]) == .partiallyImplemented)
        #expect(derive(automated, ["fail"]) == .notImplemented)
        #expect(derive(automated, ["pass", "error"]) == .partiallyImplemented)
        #expect(derive(automated, ["error"]) == .noEvidence)
        #expect(derive(automated, ["skip", "info"]) == .noEvidence)
        #expect(derive(automated, []) == .noEvidence)
        #expect(derive(automated, ["skip"], attestation: "2027-01-01") == .manualAttested)
        #expect(derive(automated, ["fail"], applicable: false) == .notApplicable)
        #expect(derive(manual, []) == .manualPending)
        #expect(derive(manual, [], attestation: "2027-01-01") == .manualAttested)
        #expect(derive(manual, [], attestation: "2026-02-01") == .manualPending, "an attestation past its review date no longer counts")
    }

    @Test func neverImplementedWithoutAPass() {
        for statuses in [[], ["skip"], ["info"], ["manual"], ["error"], ["skip", "error"]] {
            #expect(derive(automated, statuses) != .implemented)
        }
    }
}
