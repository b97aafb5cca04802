import Foundation
import Testing
import VouchTestSupport
import Yams

@Suite struct DriftCITests {
    /// A store with two captures of the estate: one file edited, one removed, one added in between.
    func twoCaptures() throws -> (store: URL, estate: URL) {
        let estate = try RunFixtures.estate()
        let store = try TestSupport.makeTempDir("vouch-drift-cli").appendingPathComponent("v.db")
        #expect(try TestSupport.vouch(["collect", "--store", store.path, "--source", "files=\(estate.path)"]).status == 0)
        try TestSupport.write("server 10.0.0.2 iburst\n", to: estate.appendingPathComponent("etc/chrony.conf"))
        try FileManager.default.removeItem(at: estate.appendingPathComponent("etc/audit/audit.rules"))
        try TestSupport.write("net.ipv4.ip_forward = 0\n", to: estate.appendingPathComponent("etc/sysctl.conf"))
        #expect(try TestSupport.vouch(["collect", "--store", store.path, "--source", "files=\(estate.path)"]).status == 0)
        return (store, estate)
    }

    @Test func driftExitCodesAndFormats() throws {
        let (store, _) = try twoCaptures()
        let text = try TestSupport.vouch(["drift", "--store", store.path])
        #expect(text.status == 1, "\(text.stderr)")
        #expect(text.stdout.contains("~ file  etc/chrony.conf") && text.stdout.contains("- file  etc/audit/audit.rules")
                && text.stdout.contains("+ file  etc/sysctl.conf"), "\(text.stdout)")
        let same = try TestSupport.vouch(["drift", "--store", store.path, "--from", "2", "--to", "2"])
        #expect(same.status == 0 && same.stdout.hasSuffix("no drift.\n"), "\(same.stdout)")
        let out = try TestSupport.makeTempDir("vouch-drift-out")
        for format in ["json", "junit", "sarif", "markdown"] {
            let file = out.appendingPathComponent("d.\(format)")
            let r = try TestSupport.vouch(["drift", "--store", store.path, "--format", format, "--out", file.path])
            #expect(r.status == 1 && r.stdout.isEmpty, "\(format): \(r.stderr)")
            #expect(((try? Data(contentsOf: file))?.count ?? 0) > 100, "\(format) written")
        }
        let summary = out.appendingPathComponent("summary.md")
        let gh = try TestSupport.vouch(["drift", "--store", store.path, "--format", "github"], env: ["GITHUB_STEP_SUMMARY": summary.path])
        #expect(gh.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("::") })
        #expect((try? String(contentsOf: summary, encoding: .utf8))?.contains("| items changed | 1 |") == true)
        // The first capture has nothing before it: no item drift (and no Talos here).
        let first = try TestSupport.vouch(["drift", "--store", store.path, "--to", "1"])
        #expect(first.status == 0 && first.stdout.contains("no earlier capture to compare with"), "\(first.stdout)")
        // Errors: a missing capture, a bad ignore pattern.
        #expect(try TestSupport.vouch(["drift", "--store", store.path, "--from", "9"]).stderr.contains("no capture 9"))
        #expect(try TestSupport.vouch(["drift", "--store", store.path, "--ignore", "mtime"]).status == 2)
    }

    @Test func declaredVersusRunningTalosFromFixtures() throws {
        // A declared config and a recorded `talosctl get machineconfig -o json` dump of node cp-a, in one capture.
        let store = try TestSupport.makeTempDir("vouch-drift-talos").appendingPathComponent("v.db")
        let talos = TestSupport.packageRoot.appendingPathComponent("fixtures/drift/talos")
        let collect = try TestSupport.vouch(["collect", "--store", store.path, "--source", "talos=\(talos.path)"])
        #expect(collect.status == 0, "\(collect.stdout) \(collect.stderr)")
        let r = try TestSupport.vouch(["drift", "--store", store.path, "--format", "json"])
        #expect(r.status == 1, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let talosRows = doc?["talos"] as? [[String: Any]] ?? []
        #expect(talosRows.map { "\($0["node"]!) \($0["path"]!)" } == [
            "cp-a cluster.secret", "cp-a machine.install.image", "cp-a machine.logging.destinations[0].endpoint",
            "cp-a machine.logging.destinations[0].format", "cp-a machine.time.servers[0]",
        ])
        let image = talosRows.first { $0["path"] as? String == "machine.install.image" }
        #expect(image?["declared"] as? String == "ghcr.io/siderolabs/installer:v1.10.5" && image?["running"] as? String == "ghcr.io/siderolabs/installer:v1.10.4")
        #expect(image?["running_origin"] as? String == "cp-a.talosctl.json")
        // The differing cluster secret shows only as fingerprints; the secrets themselves never appear.
        let secret = talosRows.first { $0["path"] as? String == "cluster.secret" }
        #expect((secret?["declared"] as? String)?.hasPrefix("sha256:") == true && (secret?["running"] as? String)?.hasPrefix("sha256:") == true)
        #expect(!r.stdout.contains("fakeclustersecret") && !r.stdout.contains("declaredtoken"))
        let text = try TestSupport.vouch(["drift", "--store", store.path])
        #expect(text.stdout.contains("talos declared vs running: 5 difference(s)"), "\(text.stdout)")
    }

    @Test func ciGatesOnTheBaseline() throws {
        let (store, estate) = try twoCaptures()
        let work = try TestSupport.makeTempDir("vouch-ci")
        let out = work.appendingPathComponent("out")
        let ciStore = work.appendingPathComponent("ci.db")
        // Against the first capture of the other store: the same changes are drift.
        let drift = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=\(estate.path)", "--baseline", store.path,
                                           "--baseline-capture", "1", "--fail-on", "drift", "--format", "junit,sarif,json", "--out", out.path])
        #expect(drift.status == 1, "\(drift.stderr)")
        for f in ["drift.junit.xml", "drift.sarif", "drift.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f)")
        }
        #expect(drift.stdout.contains("items: 1 added, 1 removed, 1 changed"), "\(drift.stdout)")
        // Against the newest baseline capture, from another checkout of the same files: nothing changed
        // (file times, inodes and owners are not drift in CI).
        let checkout = work.appendingPathComponent("checkout")
        #expect(try TestSupport.run("/bin/cp", ["-R", estate.path, checkout.path]).status == 0)
        let moved = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=\(checkout.path)", "--baseline", store.path, "--fail-on", "drift"])
        #expect(moved.status == 0, "\(moved.stdout) \(moved.stderr)")
        let clean = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=\(estate.path)", "--baseline", store.path, "--fail-on", "drift"])
        #expect(clean.status == 0, "\(clean.stdout + clean.stderr)")
        let report = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=\(estate.path)", "--baseline", store.path,
                                            "--baseline-capture", "1", "--fail-on", "none"])
        #expect(report.status == 0)
        // Regressions against an evaluated baseline capture in the same store (the default --fail-on).
        let k8s = estate.appendingPathComponent("k8s")
        let gate = work.appendingPathComponent("gate.db")
        let base = try TestSupport.vouch(["ci", "--store", gate.path, "--source", "netpol=\(k8s.path)"])
        #expect(base.status == 0, "\(base.stdout) \(base.stderr)")
        try TestSupport.write("kind: [broken\n", to: k8s.appendingPathComponent("broken.yaml"))
        let regressed = try TestSupport.vouch(["ci", "--store", gate.path, "--source", "netpol=\(k8s.path)", "--baseline-capture", "1",
                                               "--format", "sarif", "--out", out.path])
        #expect(regressed.status == 1, "\(regressed.stdout) \(regressed.stderr)")
        #expect(regressed.stdout.contains("REGRESSION  store.sources-clean"), "\(regressed.stdout)")
        let sarif = try String(contentsOf: out.appendingPathComponent("drift.sarif"), encoding: .utf8)
        #expect(sarif.contains("vouch/drift/check-regression"))
        let failures = try TestSupport.vouch(["ci", "--store", gate.path, "--source", "netpol=\(k8s.path)", "--fail-on", "failures"])
        #expect(failures.status == 1 && failures.stdout.contains("FAIL  store.sources-clean"), "\(failures.stdout)")
        // Live sources are refused, before anything is collected.
        let live = try TestSupport.vouch(["ci", "--store", work.appendingPathComponent("l.db").path, "--source", "files=live"])
        #expect(live.status == 2 && live.stderr.contains("live system"), "\(live.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("l.db").path))
        let unreadable = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=\(work.path)/no-such-folder", "--fail-on", "none"])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("could not be read"), "\(unreadable.stderr)")
        let http = try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=http://127.0.0.1:9/x"])
        #expect(http.status == 2)
        #expect(try TestSupport.vouch(["ci", "--store", ciStore.path, "--source", "files=.", "--baseline", work.appendingPathComponent("nope.db").path]).status == 2)
    }

    @Test func deployUnitsParse() throws {
        let deploy = TestSupport.packageRoot.appendingPathComponent("deploy")
        var kinds: [String] = []
        for file in ["kubernetes/namespace.yaml", "kubernetes/daemonset.yaml", "kubernetes/cronjob.yaml"] {
            let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                let kind = node["kind"]?.string ?? "?"
                kinds.append(kind)
                #expect(node["apiVersion"]?.string != nil && node["metadata"]?["name"]?.string != nil, "\(file): \(kind)")
                if kind == "DaemonSet" {
                    let pod = node["spec"]?["template"]?["spec"]
                    let container = pod?["containers"]?[0]
                    #expect(container?["securityContext"]?["privileged"]?.bool == true)
                    let mount = container?["volumeMounts"]?.sequence?.first { $0["mountPath"]?.string == "/sys/fs/bpf" }
                    #expect(mount?["readOnly"]?.bool == true, "the BPF file system is mounted read-only")
                    #expect(pod?["volumes"]?.sequence?.contains { $0["hostPath"]?["path"]?.string == "/sys/fs/bpf" } == true)
                }
            }
        }
        #expect(kinds.contains("DaemonSet") && kinds.contains("CronJob") && kinds.contains("Namespace"))
        for file in ["ci/github-actions.yml", "ci/gitlab-ci.yml"] {
            let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
            #expect(try Yams.load(yaml: text) != nil, "\(file)")
            #expect(text.contains("vouch ci "), "\(file)")
        }
        if let nix = TestSupport.which("nix-instantiate") {
            let r = try TestSupport.run(nix, ["--parse", deploy.appendingPathComponent("nixos/vouch.nix").path])
            #expect(r.status == 0, "\(r.stderr)")
            for option in ["enable", "interval", "profile", "storePath", "user"] { #expect(r.stdout.contains(option), "option \(option)") }
        } else {
            TestSupport.skip("nix-instantiate is not installed: the NixOS module was not parsed")
        }
        if let analyze = TestSupport.which("systemd-analyze") {
            // Units name /usr/local/bin/vouch; verify a copy that points at the built binary.
            let dir = try TestSupport.makeTempDir("vouch-units")
            for unit in ["vouch.service", "vouch.timer", "vouch-run.service"] {
                let text = try String(contentsOf: deploy.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
                try TestSupport.write(text.replacingOccurrences(of: "/usr/local/bin/vouch", with: TestSupport.vouchBinary.path),
                                      to: dir.appendingPathComponent(unit))
            }
            let r = try TestSupport.run(analyze, ["verify", "--man=no", dir.appendingPathComponent("vouch.service").path,
                                                  dir.appendingPathComponent("vouch.timer").path,
                                                  dir.appendingPathComponent("vouch-run.service").path])
            let problems = (r.stdout + r.stderr).split(separator: "\n").filter { line in
                line.contains("vouch") && !line.contains("Failed to connect") && !line.contains("user vouch")
            }
            #expect(problems.isEmpty, "systemd-analyze: \(r.stdout) \(r.stderr)")
        } else {
            TestSupport.skip("systemd-analyze is not installed: the units were not verified")
        }
    }
}
