import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

/// talosctl cannot run here (it needs Talos nodes), so these tests use a STAND-IN `talosctl`: a shell
/// script that prints talosctl output recorded in fixtures/talos/ (`talosctl-get-machineconfig.json`,
/// `talosctl-version.txt`) for the node it is asked about, and fails like talosctl for unknown nodes.
@Suite("Talos live (stand-in talosctl)")
struct TalosLiveTests {
    /// Writes the stand-in `talosctl` into `dir/bin` and returns that folder.
    static func standIn(in dir: URL) throws -> URL {
        let bin = dir.appendingPathComponent("bin")
        let fixtures = TalosHarness.fixtures.path
        try TestSupport.write("""
            #!/bin/sh
            # STAND-IN for talosctl (tests only): prints recorded output from \(fixtures).
            echo "$@" >> "\(bin.path)/calls.log"
            node=""; prev=""
            for a in "$@"; do [ "$prev" = "--nodes" ] && node="$a"; prev="$a"; done
            case "$node" in 10.20.0.21|10.20.0.22) ;; *)
              echo "error getting resources: rpc error: code = Unavailable desc = connection refused ($node)" >&2; exit 1;;
            esac
            case "$1" in
              version) sed "s/NODE_PLACEHOLDER/$node/" "\(fixtures)/talosctl-version.txt";;
              get) awk -v n="\\"node\\": \\"$node\\"" '{ buf = buf $0 "\\n" } /^}$/ { if (index(buf, n)) printf "%s", buf; buf = "" }' \\
                     "\(fixtures)/talosctl-get-machineconfig.json";;
              *) echo "unknown command $1" >&2; exit 1;;
            esac
            """, to: bin.appendingPathComponent("talosctl"))
        chmod(bin.appendingPathComponent("talosctl").path, 0o755)
        return bin
    }

    @Test("nodes named in the profile are read with talosctl; the command is the origin; failures are error items")
    func liveNodes() throws {
        let h = try TalosHarness()
        let bin = try Self.standIn(in: h.dir)
        let out = try h.collect("live", options: [
            "nodes": ["10.20.0.21", "10.20.0.22", "10.20.0.99"],
            "talosctl": .string(bin.appendingPathComponent("talosctl").path),
        ])
        let nodes = try h.rows("SELECT node, source_type, origin, talos_version, ephemeral_encrypted FROM talos_node ORDER BY node")
        #expect(nodes.map { $0[0] as String } == ["worker-2", "worker-3"])
        #expect(nodes.allSatisfy { ($0[1] as String) == "live" })
        #expect(nodes[0][2] as String == "talosctl get machineconfig -o json --nodes 10.20.0.21")
        #expect(nodes[0][3] as String == "v1.14.1")  // the running version from `talosctl version`, not the install image
        #expect(nodes.map { $0[4] as Int } == [1, 0])
        let versions = try h.rows("SELECT subject, origin FROM evidence WHERE kind = 'talos.version' ORDER BY subject")
        #expect(versions.map { $0[1] as String } == ["talosctl version --nodes 10.20.0.21", "talosctl version --nodes 10.20.0.22"])
        #expect(out.errorCount == 2)  // version and get for the unreachable node
        #expect(try h.errors().allSatisfy { $0.contains("10.20.0.99") && $0.contains("connection refused") })
        let bytes = try h.storeBytes()
        #expect(bytes.range(of: Data("plant5.qqqqrrrrsssstttt".utf8)) == nil)
    }

    @Test("with nodes named but no talosctl, each node is an error item saying what to install")
    func noTalosctl() throws {
        let h = try TalosHarness()
        let out = try h.collect("live", options: ["nodes": ["10.20.0.21"], "talosctl": "/nonexistent/talosctl"])
        #expect(out.errorCount == 1)
        #expect(try h.errors().first?.contains("install talosctl") == true)
    }

    @Test("the CLI finds the stand-in talosctl first on PATH when the profile names nodes")
    func cliOnPath() throws {
        let binary = TestSupport.vouchBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            TestSupport.skip("the vouch binary is not built (run swift build --build-tests)")
            return
        }
        let dir = try TestSupport.makeTempDir("vouch-talos-cli")
        let bin = try Self.standIn(in: dir)
        try TestSupport.write("""
            sources:
              - kind: talos
                target: \(TalosHarness.fixtures.appendingPathComponent("estate").path)
                nodes: [10.20.0.21]
            """, to: dir.appendingPathComponent("vouch.yaml"))
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try TestSupport.vouch(["collect", "--profile", dir.appendingPathComponent("vouch.yaml").path,
                                       "--store", dir.appendingPathComponent("v.db").path], env: ["PATH": path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let q = try TestSupport.vouch(["query", "--store", dir.appendingPathComponent("v.db").path, "--format", "csv",
                                       "SELECT node, source_type FROM talos_node ORDER BY node"])
        #expect(q.stdout.contains("worker-2,live"), "\(q.stdout)")
        #expect(q.stdout.contains("cp-1,declared"), "\(q.stdout)")
        let calls = try String(contentsOf: bin.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.contains("get machineconfig -o json --nodes 10.20.0.21"))
    }
}
