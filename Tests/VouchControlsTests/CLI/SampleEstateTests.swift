import Foundation
import Testing
@testable import VouchControls
import VouchCore
import VouchTestSupport

/// The sample estate under fixtures/ (what `make demo` shows) gives a mix of pass, fail and manual.
@Suite struct SampleEstateTests {
    let profile = TestSupport.packageRoot.appendingPathComponent("fixtures/vouch.yaml")

    @Test func theSampleProfileIsValid() throws {
        let s = try ProfileSettings.load(try Profile.load(path: profile.path), catalog: ShippedCatalog.catalog)
        #expect(!s.exceptions.isEmpty)
        #expect(!s.attestations.isEmpty)
        #expect(s.applicability.values.contains { !$0.applicable })
    }

    @Test func theSampleEstateShowsPassFailAndManual() throws {
        let dir = try TestSupport.makeTempDir("vouch-sample")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("demo.db").path
        let c = try TestSupport.vouch(["collect", "--profile", profile.path, "--store", store])
        #expect(c.status == 0 || c.status == 3, "\(c.stdout)\(c.stderr)")
        let e = try TestSupport.vouch(["evaluate", "--profile", profile.path, "--store", store,
                                       "--controls", ShippedCatalog.directory.path])
        #expect(e.status == 1, "the sample estate has deliberate findings: \(e.stdout)\(e.stderr)")
        let checks = try TestSupport.vouch(["query", "--store", store, "--format", "csv",
                                            "SELECT status, count(*) FROM check_result GROUP BY status ORDER BY status"]).stdout
        #expect(checks.contains("pass,"), "\(checks)")
        #expect(checks.contains("fail,"), "\(checks)")
        #expect(checks.contains("skip,"), "a live exception turns a failure into skip: \(checks)")
        let controls = try TestSupport.vouch(["query", "--store", store, "--format", "csv",
                                              "SELECT status, count(*) FROM soa GROUP BY status ORDER BY status"]).stdout
        for status in ["implemented", "manual_attested", "manual_pending", "not_applicable"] {
            #expect(controls.contains("\n\(status),"), "\(status) missing: \(controls)")
        }
        #expect(controls.contains("not_implemented,") || controls.contains("partially_implemented,"), "\(controls)")
        let expired = try TestSupport.vouch(["query", "--store", store, "--format", "csv",
                                             "SELECT count(*) FROM check_result WHERE exception LIKE '%\"expired\":true%'"]).stdout
        #expect(expired == "count(*)\n1\n" || expired.hasSuffix("\n1\n"), "the expired exception is reported: \(expired)")
    }
}
