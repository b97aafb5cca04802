import Foundation
import Testing
import VouchTestSupport

/// The README's `make demo` in a fresh `git clone` of the repository (CI runs `make test` the same way).
@Suite struct FreshCloneTests {
    @Test func demoRunsInAFreshCloneAndWritesTheReports() throws {
        let root = TestSupport.packageRoot
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) else {
            TestSupport.skip("not a git checkout: nothing to clone")
            return
        }
        let dir = try TestSupport.makeTempDir("clone")
        let clone = dir.appendingPathComponent("vouch")
        let c = try TestSupport.run("git", ["clone", "--quiet", root.path, clone.path])
        #expect(c.status == 0, "\(c.stderr)")
        // The committed tree only: the demo must not depend on anything untracked in this checkout.
        let r = try TestSupport.run("/bin/bash", ["scripts/demo.sh"], cwd: clone, env: ["VOUCH": TestSupport.vouchBinary.path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        for name in ["out/report.html", "out/report.xml"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: clone.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name) missing or tiny (\(size) bytes)\n\(r.stdout)")
        }
        #expect(r.stdout.contains("demo: the HTML report is \(clone.path)/out/report.html"))
        let v = try TestSupport.vouch(["verify", "--store", clone.appendingPathComponent("out/demo.db").path])
        #expect(v.status == 0, "\(v.stdout)")
    }
}
