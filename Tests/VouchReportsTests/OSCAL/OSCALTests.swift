import Foundation
import Testing
import VouchCore
import VouchReports
import VouchTestSupport

@Suite("OSCAL assessment results and plan")
struct OSCALTests {
    /// The NIST OSCAL 1.2.1 XSDs in ../shared, or nil (a user's clone has none).
    /// `VOUCH_SHARED_DIR` points elsewhere (a worktree whose parent has no `shared/`).
    static var schemaDirectory: String? {
        let env = ProcessInfo.processInfo.environment["VOUCH_SHARED_DIR"].map { URL(fileURLWithPath: $0) }
        guard let shared = TestSupport.sharedDirectory ?? env else { return nil }
        let dir = shared.appendingPathComponent("schemas/oscal-1.2.1")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent(OSCALValidation.resultsSchema).path) ? dir.path : nil
    }

    static func documents(_ model: ReportModel) -> (results: Data, plan: Data) {
        let w = OSCALWriter(model: model)
        return (Data(w.assessmentResults().utf8), Data(w.assessmentPlan().utf8))
    }

    @Test("the evaluated fixture's results and plan validate against the NIST XSDs through libxml2")
    func validatesEvaluated() throws {
        guard let xsd = Self.schemaDirectory else {
            TestSupport.skip("../shared/schemas/oscal-1.2.1 is absent (only in the project's workspace)")
            return
        }
        let (store, _) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        let docs = Self.documents(model)
        try OSCALValidation.validate(results: docs.results, plan: docs.plan, schemaDirectory: xsd)
        let xml = String(decoding: docs.results, as: UTF8.self)
        // Findings per applicable control, observations per check, evidence with hashes in back-matter.
        #expect(xml.components(separatedBy: "<finding ").count - 1 == model.controls.filter(\.applicable).count)
        #expect(xml.contains("<status state=\"not-satisfied\" reason=\"fail\"/>"))
        #expect(xml.contains("<status state=\"satisfied\" reason=\"pass\"/>"))
        #expect(xml.contains("<method>TEST</method>"))
        #expect(xml.contains("<method>EXAMINE</method>"))
        #expect(xml.contains("<exclude-control control-id=\"a.5.23\"/>"))
        let blob = try #require(model.evidence.cited.first { $0.blobSHA256 != nil }?.blobSHA256)
        #expect(xml.contains("<hash algorithm=\"SHA-256\">\(blob)</hash>"))
    }

    @Test("a capture that was never evaluated still gives valid OSCAL, without findings")
    func validatesUnevaluated() throws {
        guard let xsd = Self.schemaDirectory else {
            TestSupport.skip("../shared/schemas/oscal-1.2.1 is absent")
            return
        }
        let (store, _) = try ReportFixture.makeStore()
        try ReportFixture.capture(store, at: "2025-12-01T09:00:00.000Z", items: SampleEstate.items(second: false))
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        #expect(model.evaluation == nil)
        let docs = Self.documents(model)
        try OSCALValidation.validate(results: docs.results, plan: docs.plan, schemaDirectory: xsd)
        #expect(!String(decoding: docs.results, as: UTF8.self).contains("<finding"))
    }

    @Test("the validator reports a document that breaks the schema, with its line")
    func validatorCatchesInvalid() throws {
        guard let xsd = Self.schemaDirectory else {
            TestSupport.skip("../shared/schemas/oscal-1.2.1 is absent")
            return
        }
        let (store, _) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        let good = String(decoding: Self.documents(model).results, as: UTF8.self)
        // Swap metadata's first two children: XML is order-sensitive.
        let bad = good.replacingOccurrences(of: "<oscal-version>1.2.1</oscal-version>", with: "")
        let validator = try XMLSchemaValidator(schemaPath: xsd + "/" + OSCALValidation.resultsSchema)
        #expect(throws: XMLValidationError.self) { try validator.validate(Data(bad.utf8), name: "bad.xml") }
        do { try validator.validate(Data(bad.utf8), name: "bad.xml") } catch let XMLValidationError.invalid(name, _, issues) {
            #expect(name == "bad.xml")
            #expect(issues.contains { $0.line > 0 && $0.message.contains("oscal-version") })
        }
        #expect(throws: XMLValidationError.self) { try validator.validate(Data("<assessment-results".utf8), name: "cut.xml") }
        #expect(throws: XMLValidationError.self) { _ = try XMLSchemaValidator(schemaPath: "/nonexistent/schema.xsd") }
    }

    @Test("UUIDs are stable version-5 UUIDs derived from the inputs")
    func stableUUIDs() throws {
        let (store, _) = try SampleEstate.build()
        let model = try ReportLoader(store: store, options: SampleEstate.options()).load()
        let a = Self.documents(model), b = Self.documents(model)
        #expect(a.results == b.results)
        #expect(a.plan == b.plan)
        let uuids = String(decoding: a.results, as: UTF8.self).matches(of: /\ uuid="([^"]+)"/).map { String($0.1) }
        #expect(uuids.count > 10)
        #expect(Set(uuids).count == uuids.count, "every uuid is unique")
        for u in uuids { #expect(u.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil) }
        #expect(StableUUID.make("a", "b") != StableUUID.make("ab"))
        #expect(StableUUID.make("x") == StableUUID.make("x"))
    }
}
