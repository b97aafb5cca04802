import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("Talos bad input")
struct TalosBadInputTests {
    static let good = """
        version: v1alpha1
        machine:
          type: worker
          network:
            hostname: good-node
        """

    @Test("invalid YAML: the broken document is an error naming file and line; the others still land")
    func invalidYAML() throws {
        let h = try TalosHarness()
        _ = try h.write("cfg/good.yaml", Self.good)
        _ = try h.write("cfg/broken.yaml", """
            version: v1alpha1
            machine:
              type: controlplane
              token: plant9.brokenfiletoken
              network:
                hostname: broken-node
            ---
            apiVersion: v1alpha1
            kind: TimeSyncConfig
            ntp:
              servers: [ntp1.example.internal
            ---
            apiVersion: v1alpha1
            kind: VolumeConfig
            name: STATE
            encryption:
              provider: luks2
            """)
        let out = try h.collect("cfg")
        #expect(out.errorCount == 1)
        let error = try #require(try h.errors().first)
        #expect(error.contains("broken.yaml line 1"), "\(error)")  // the flow list opened on file line 11 closes nowhere
        #expect(error.contains("invalid YAML"))
        #expect(!error.contains("ntp1.example.internal"))
        let nodes = try h.rows("SELECT node, complete, state_encrypted FROM talos_node ORDER BY node")
        #expect(nodes.map { $0[0] as String } == ["broken-node", "good-node"])
        #expect(nodes[0][1] as Int == 0)
        #expect(nodes[0][2] as Int == 1)
        #expect(nodes[1][1] as Int == 1)
    }

    @Test("a YAML alias bomb is refused quickly with a clear error; other files still land")
    func aliasBomb() throws {
        let h = try TalosHarness()
        _ = try h.write("cfg/good.yaml", Self.good)
        var bomb = "version: v1alpha1\nmachine:\n  type: worker\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<10 { bomb += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        _ = try h.write("cfg/bomb.yaml", bomb)
        let start = Date()
        let out = try h.collect("cfg")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(out.errorCount == 1)
        let error = try #require(try h.errors().first)
        #expect(error.contains("bomb.yaml line"), "\(error)")
        #expect(error.contains("alias bomb"))
        #expect(try h.rows("SELECT node FROM talos_node").map { $0[0] as String } == ["good-node"])
    }

    @Test("an alias used as a mapping key is refused (it would be hashed fully expanded)")
    func aliasKey() throws {
        let h = try TalosHarness()
        let path = try h.write("k.yaml", "version: v1alpha1\nbase: &b {a: 1}\nmachine:\n  type: worker\n  *b : 2\n")
        let out = try h.collect(path)
        #expect(out.errorCount == 1)
        #expect(try h.errors().first?.contains("k.yaml line 5") == true)
    }

    @Test("a 100 MB config is refused unread (bounded memory), naming the limit to raise")
    func hugeFile() throws {
        let h = try TalosHarness()
        _ = try h.write("cfg/good.yaml", Self.good)
        let big = h.dir.appendingPathComponent("cfg/huge.yaml")
        _ = FileManager.default.createFile(atPath: big.path, contents: Data("version: v1alpha1\n".utf8))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 100 << 20)  // sparse: costs no disk
        try handle.close()
        let out = try h.collect("cfg")
        #expect(out.errorCount == 1)
        let error = try #require(try h.errors().first)
        #expect(error.contains("huge.yaml") && error.contains("104857600 bytes") && error.contains("max_file_bytes"), "\(error)")
        #expect(try h.rows("SELECT node FROM talos_node").count == 1)
    }

    @Test("invalid UTF-8 names the line and the byte")
    func invalidUTF8() throws {
        let h = try TalosHarness()
        var bytes = Array("version: v1alpha1\nmachine:\n  type: wor".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("ker\n".utf8)
        let url = h.dir.appendingPathComponent("latin.yaml")
        try Data(bytes).write(to: url)
        let out = try h.collect(url.path)
        #expect(out.errorCount == 1)
        let error = try #require(try h.errors().first)
        #expect(error.contains("latin.yaml line 3") && error.contains("0xFF") && error.contains("UTF-8"), "\(error)")
    }

    @Test("a named file that is not Talos is an error; in a folder it is only listed as skipped")
    func notTalos() throws {
        let h = try TalosHarness()
        let deployment = "apiVersion: apps/v1\nspec:\n  replicas: 2\n"
        let named = try h.write("deploy.yaml", deployment)
        #expect(try h.collect(named).errorCount == 1)
        #expect(try h.errors().first?.contains("not a Talos machine config") == true)

        let h2 = try TalosHarness()
        _ = try h2.write("cfg/deploy.yaml", deployment)
        _ = try h2.write("cfg/good.yaml", Self.good)
        #expect(try h2.collect("cfg").errorCount == 0)
        let scan: String? = try h2.value("SELECT data FROM evidence WHERE kind = 'talos.scan'")
        #expect(scan?.contains(#""skipped":["deploy.yaml"]"#) == true)
    }

    @Test("a missing target fails the source with a clear reason; a broken talosctl JSON capture names its line")
    func missingAndBrokenJSON() throws {
        let h = try TalosHarness()
        let out = try h.collect("no-such-dir")
        #expect(out.sources.first?.status == "error")
        #expect(out.sources.first?.message?.contains("no such file or folder") == true)

        let h2 = try TalosHarness()
        let path = try h2.write("mc.json", "{\n  \"metadata\": {\"type\": \"MachineConfigs.config.talos.dev\"},\n  \"spec\": \"version: v1alpha1\n")
        #expect(try h2.collect(path).errorCount == 1)
        let error = try #require(try h2.errors().first)
        #expect(error.contains("mc.json line 1") && error.contains("invalid JSON"), "\(error)")
    }
}
