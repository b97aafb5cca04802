import Foundation
import Testing
import VouchCollectors
import VouchTestSupport

@Suite struct RegistryTests {
    @Test func everyCollectorIsRegisteredOnceAndDocumented() throws {
        let names = CollectorRegistry.sourceNames
        #expect(Set(names).count == names.count, "duplicate source names: \(names)")
        let readme = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for c in CollectorRegistry.all {
            #expect(!c.summary.isEmpty && !c.targetSyntax.isEmpty, "\(c.source) lacks documentation")
            #expect(readme.contains("`\(c.source)=") || readme.contains("`\(c.source)`"), "README does not document source \(c.source)")
        }
        // Every collector source file under Sources/VouchCollectors is registered.
        let dir = TestSupport.packageRoot.appendingPathComponent("Sources/VouchCollectors")
        let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
        for f in files where f.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains(": Collector {") {
                guard let name = line.split(separator: " ").drop(while: { $0 != "struct" && $0 != "class" }).dropFirst().first else { continue }
                let typeName = name.replacingOccurrences(of: ":", with: "")
                #expect(CollectorRegistry.all.contains { String(describing: type(of: $0)) == typeName }, "\(typeName) in \(f) is not in CollectorRegistry.all")
            }
        }
    }
}
