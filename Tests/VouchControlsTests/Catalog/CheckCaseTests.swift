import Foundation
import Testing
@testable import VouchControls
import VouchTestSupport

/// Every check's own test cases, run for real: a store file, the facts in, the check run, the statuses compared.
@Suite struct CheckCaseTests {
    @Test(arguments: ShippedCatalog.cases)
    func checkTestCase(_ ref: CaseRef) throws {
        let check = try #require(ShippedCatalog.catalog.checks[ref.check])
        let dir = try TestSupport.makeTempDir("vouch-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mismatches = try CheckTestHarness.run(check, check.tests[ref.index], storePath: dir.appendingPathComponent("store.db").path)
        #expect(mismatches.isEmpty, "\(ref): \(mismatches.joined(separator: "; "))")
    }

    /// Every check shows a pass and something that is not a pass (a failure, or for checks that
    /// cannot fail by construction, such as a platform without SSH, an error or a skip).
    @Test func everyCheckHasTestCasesCoveringPassAndNotPass() {
        for check in ShippedCatalog.catalog.sortedChecks {
            #expect(!check.tests.isEmpty, "\(check.id) has no test cases")
            let statuses = Set(check.tests.flatMap { $0.expect.values })
            #expect(statuses.contains("pass") && !statuses.subtracting(["pass"]).isEmpty, "\(check.id): test cases should show a pass and a non-pass")
        }
        let failing = ShippedCatalog.catalog.checks.values.filter { c in c.tests.contains { $0.expect.values.contains("fail") } }
        #expect(failing.count >= ShippedCatalog.catalog.checks.count - 2, "nearly every check has a failing case")
    }

    @Test func aWrongExpectationIsReported() throws {
        var check = try #require(ShippedCatalog.catalog.checks["store.capture-fresh"])
        check.tests[0].expect = ["evidence collection": "fail"]
        let dir = try TestSupport.makeTempDir("vouch-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mismatches = try CheckTestHarness.run(check, check.tests[0], storePath: dir.appendingPathComponent("s.db").path)
        #expect(mismatches.count == 1)
        #expect(mismatches.first?.contains("expected evidence collection: fail, got pass") == true)
    }
}
