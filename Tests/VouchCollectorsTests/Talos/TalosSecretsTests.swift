import Foundation
import GRDB
import Testing
import VouchCollectors
import VouchCore
import VouchTestSupport

@Suite("Talos secrets")
struct TalosSecretsTests {
    /// The planted secrets of the fixtures (all fake), as plain text.
    static let planted = [
        "plant1.aaaabbbbccccdddd", "plant2.eeeeffffgggghhhh", "plant3.iiiijjjjkkkkllll", "plant4.mmmmnnnnoooopppp",
        "plant5.qqqqrrrrsssstttt", "plant6.uuuuvvvvwwwwxxxx", "plant7.yyyyzzzz00001111", "plant8.patchtokenvalue",
        "cGxhbnRlZC1jbHVzdGVyLXNlY3JldC0wMTIzNDU2Nzg5", "cGxhbnRlZC1zZWNyZXRib3gta2V5LTAxMjM0NTY3ODk=",
        "cGxhbnRlZC1hZXNjYmMta2V5LTAxMjM0NTY3ODk=", "cGxhbnRlZC10YWxjb25maWctc2VjcmV0Ym94LWtleQ==",
        "planted-registry-user", "planted-registry-password-1234", "planted-ephemeral-passphrase",
        "planted-inline-manifest-password", "cGxhbnRlZC13aXJlZ3VhcmQtcHJpdmF0ZS1rZXk9PT0=", "cGxhbnRlZC1wcmVzaGFyZWQta2V5LTAxMjM0NTY3",
        "planted-user-2", "planted-password-2-abcdef", "plantedJoinToken123456",
    ]

    /// Every base64-wrapped private key in a fixture, and the PEM body lines inside it.
    static func privateKeyMaterial(_ text: String) -> [String] {
        var out: [String] = []
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("key: ") else { continue }
            let v = String(t.dropFirst(5))
            guard let d = Data(base64Encoded: v), let pem = String(data: d, encoding: .utf8), pem.contains("PRIVATE KEY") else { continue }
            out.append(v)
            out += pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        }
        return out
    }

    @Test("planted secrets in every fixture never reach the SQLite file, the WAL or `vouch query` output")
    func plantedSecrets() throws {
        let h = try TalosHarness()
        let out = try h.collect(TalosHarness.fixtures.path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        #expect(try h.rows("SELECT * FROM talos_node").count == 6)  // 2 estate files + 2 nodes in each talosctl output
        var material = Self.planted
        for f in ["estate/cp-1.yaml", "estate/worker-1.yaml"] {
            let text = try String(contentsOf: TalosHarness.fixtures.appendingPathComponent(f), encoding: .utf8)
            let keys = Self.privateKeyMaterial(text)
            #expect(!keys.isEmpty || f.contains("worker"))
            material += keys
        }
        #expect(material.count > 30)
        let bytes = try h.storeBytes()
        for s in material {
            #expect(bytes.range(of: Data(s.utf8)) == nil, "secret found in the store: \(s.prefix(12))…")
        }
        // Secrets are fingerprints, and the fingerprint is the redactor's.
        let token: String? = try h.value("SELECT value FROM talos_setting WHERE node = 'cp-1' AND path = 'machine.token'")
        #expect(token == JSONValue.string(Redactor.fingerprintText("plant1.aaaabbbbccccdddd")).canonicalText)
        let secretRows: Int? = try h.value("SELECT count(*) FROM talos_setting WHERE secret = 1")
        #expect((secretRows ?? 0) >= 20)

        // The CLI renders facts: nothing planted shows up there either.
        let binary = TestSupport.vouchBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            TestSupport.skip("the vouch binary is not built (run swift build --build-tests)")
            return
        }
        let db = h.dir.appendingPathComponent("vouch.db").path
        for sql in ["SELECT * FROM talos_setting", "SELECT * FROM talos_patch", "SELECT data FROM evidence"] {
            let r = try TestSupport.vouch(["query", "--store", db, "--format", "csv", sql])
            #expect(r.status == 0, "\(r.stderr)")
            for s in material { #expect(!r.stdout.contains(s) && !r.stderr.contains(s), "\(sql) shows \(s.prefix(12))…") }
        }
    }

    @Test("SOPS-encrypted values are recorded as encrypted, never as values")
    func sops() throws {
        let h = try TalosHarness()
        let path = try h.write("cp.enc.yaml", """
            version: v1alpha1
            machine:
              type: controlplane
              token: ENC[AES256_GCM,data:Q2lwaGVydGV4dA==,iv:aXY=,tag:dGFn,type:str]
              install:
                wipe: ENC[AES256_GCM,data:dHJ1ZQ==,iv:aXY=,tag:dGFn,type:bool]
            cluster:
              clusterName: demo
            sops:
              mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
              version: 3.9.0
            """)
        let out = try h.collect(path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let rows = try h.rows("SELECT path, value, encrypted, secret FROM talos_setting WHERE encrypted = 1 ORDER BY path")
        #expect(rows.map { $0[0] as String } == ["machine.install.wipe", "machine.token", "sops.mac"])
        #expect(rows.map { $0[1] as String } == [#""ENC[sops,type:bool]""#, #""ENC[sops,type:str]""#, #""ENC[sops,type:str]""#])
        let sops: Int? = try h.value("SELECT sops_encrypted FROM talos_node")
        #expect(sops == 1)
    }

    @Test("secret scalars are redacted in place in every YAML style")
    func styles() throws {
        let h = try TalosHarness()
        let pem = "-----BEGIN EC PRIVATE KEY-----\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n-----END EC PRIVATE KEY-----"
        let path = try h.write("styles.yaml", """
            version: v1alpha1
            machine:
              type: worker
              token: 'single.quoted''token'
              ca:
                key: |
                  \(pem.split(separator: "\n").joined(separator: "\n      "))
                crt: not-a-secret
            cluster:
              token: "double.quoted\\"token"
              secret: >-
                folded-cluster-secret
                on-two-lines
              etcd: {ca: {key: flow-style-etcd-key}}
            """)
        let out = try h.collect(path)
        #expect(out.errorCount == 0, "\((try? h.errors()) ?? [])")
        let sha: String = try #require(try h.value("SELECT blob_sha256 FROM evidence WHERE kind = 'talos.machineconfig'"))
        let text = String(decoding: try #require(try h.store.blobData(sha256: sha)), as: UTF8.self)
        for s in ["single.quoted", "QUFBQUFB", "double.quoted", "folded-cluster-secret", "on-two-lines", "flow-style-etcd-key"] {
            #expect(!text.contains(s), "\(s) left in:\n\(text)")
        }
        #expect(text.contains("crt: not-a-secret"))
        #expect(text.components(separatedBy: "sha256:").count - 1 == 5, "\(text)")
        let bytes = try h.storeBytes()
        for s in ["single.quoted'token", "QUFBQUFBQUFBQUFB", "folded-cluster-secret", "flow-style-etcd-key"] {
            #expect(bytes.range(of: Data(s.utf8)) == nil)
        }
    }
}
