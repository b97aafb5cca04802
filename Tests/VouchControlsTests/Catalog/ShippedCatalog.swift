import Foundation
@testable import VouchControls
import VouchTestSupport

/// The catalog shipped in `controls/`, loaded once for the tests.
enum ShippedCatalog {
    static let directory = TestSupport.packageRoot.appendingPathComponent("controls")

    static let catalog: Catalog = {
        do { return try CatalogLoader.load(directory: directory, origin: "test") } catch {
            fatalError("the shipped catalog does not load: \(error)")
        }
    }()

    /// Every (check id, test case index), for parameterized tests.
    static var cases: [CaseRef] {
        catalog.sortedChecks.flatMap { c in c.tests.indices.map { CaseRef(check: c.id, index: $0) } }
    }
}

struct CaseRef: Sendable, CustomStringConvertible {
    var check: String
    var index: Int
    var description: String {
        let name = ShippedCatalog.catalog.checks[check]?.tests[index].name ?? "?"
        return "\(check) #\(index): \(name)"
    }
}
