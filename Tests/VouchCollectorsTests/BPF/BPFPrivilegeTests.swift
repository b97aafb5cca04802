import Foundation
import Testing
import VouchTestSupport

/// Without privileges the live source is one clear error item, and the capture still lands.
@Suite("BPFPrivilege")
struct BPFPrivilegeTests {
    @Test("as nobody, bpf=live records one error item saying what privileges are needed")
    func unprivileged() throws {
        guard getuid() == 0, let setpriv = TestSupport.which("setpriv") else {
            TestSupport.skip("needs root and setpriv to drop to nobody"); return
        }
        guard FileManager.default.isExecutableFile(atPath: TestSupport.vouchBinary.path) else {
            TestSupport.skip("the vouch binary is not built (swift build --build-tests)"); return
        }
        let dir = try TestSupport.makeTempDir("vouch-bpf-nobody")
        chmod(dir.path, 0o777)
        let store = dir.appendingPathComponent("vouch.db").path
        let r = try TestSupport.run(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", TestSupport.vouchBinary.path,
                                              "collect", "--store", store, "--source", "bpf=live"], cwd: dir)
        #expect(r.status == 3, "exit \(r.status): \(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("needs root, or CAP_BPF and CAP_PERFMON; or import bpftool JSON"), "\(r.stdout)\n\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
        let q = try TestSupport.sqlite(URL(fileURLWithPath: store), "SELECT count(*), min(kind) FROM evidence WHERE status = 'error'")
        #expect(q.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1|bpf.error")
    }
}
