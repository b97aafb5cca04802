import Foundation
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchReports

/// A drift result with every kind of finding and hostile text in every place a store value can reach.
enum DriftSample {
    static let hostile = "evil <script>alert(1)</script> ]]> & \"q\" 'a' %0A, x:y | `b` *c* \u{1}\u{7F}\nline2"
    static let fingerprint = "sha256:" + String(repeating: "ab", count: 32)

    static var result: DriftResult {
        DriftResult(
            from: CaptureRef(id: 1, startedAt: "2026-11-25T10:00:00.000Z", seal: String(repeating: "1", count: 64), evaluationID: 1),
            to: CaptureRef(id: 2, startedAt: "2026-11-25T11:00:00.000Z", seal: String(repeating: "2", count: 64), evaluationID: 2),
            items: [
                ItemChange(change: .added, kind: "file", subject: "etc/\(hostile)", source: "files", target: "/repo/etc", origin: "/repo/etc/new file.conf"),
                ItemChange(change: .removed, kind: "k8s.namespace", subject: "ns/a b", source: "netpol", target: "k8s", origin: "k8s/ns.yaml"),
                ItemChange(change: .changed, kind: "talos.machineconfig", subject: "cp1", source: "talos", target: "talos", origin: "/repo/talos/cp1.yaml",
                           fields: [FieldChange(path: "$.cluster.secret", old: .string(fingerprint), new: .string("sha256:" + String(repeating: "cd", count: 32))),
                                    FieldChange(path: "$[\"odd key\"]", old: nil, new: .string(hostile)),
                                    FieldChange(path: "blob_sha256", old: .string(fingerprint), new: nil)]),
            ],
            checks: [
                CheckTransition(kind: .regression, checkID: "ssh.no-root", resource: "web1", oldStatus: "pass", newStatus: "fail",
                                reason: "PermitRootLogin is yes; " + hostile, severity: "high", controls: ["A.8.2", "A.8.5"]),
                CheckTransition(kind: .newFailure, checkID: "ssh.no-root", resource: "web2", oldStatus: nil, newStatus: "error",
                                reason: "source unreadable", severity: nil, controls: ["A.8.2"]),
                CheckTransition(kind: .fix, checkID: "talos.version", resource: "cp1", oldStatus: "fail", newStatus: "pass",
                                reason: "v1.9.2", severity: nil, controls: []),
            ],
            controls: [ControlChange(controlID: "A.8.2", title: "Privileged access rights", oldStatus: "implemented", newStatus: "not_implemented",
                                     checks: ["ssh.no-root"])],
            talos: [TalosDivergence(node: "cp1", document: "v1alpha1", path: "machine.install.image", declared: .string("installer:v1.9.2"),
                                    running: .string("installer:v1.9.0"), declaredOrigin: "/repo/talos/cp1.yaml",
                                    runningOrigin: "talosctl get machineconfig -o json --nodes cp1")],
            failing: [CheckState(checkID: "ssh.no-root", resource: "web1", status: "fail", reason: hostile, severity: "high", controls: ["A.8.2"])],
            notes: [])
    }
}

@Suite struct DriftRenderTests {
    /// ../shared/schemas, or `VOUCH_SHARED_DIR`/schemas (a worktree whose parent has no `shared/`); nil in a user's clone.
    static var schemas: URL? {
        let env = ProcessInfo.processInfo.environment["VOUCH_SHARED_DIR"].map { URL(fileURLWithPath: $0) }
        return (TestSupport.sharedDirectory ?? env)?.appendingPathComponent("schemas")
    }
    let options = DriftRenderOptions(baseDirectory: "/repo", includeFailing: true)

    @Test func junitValidatesAgainstTheJenkinsSchema() throws {
        guard let schemas = Self.schemas else { TestSupport.skip("../shared is absent: no JUnit XSD to validate against"); return }
        let validator = try XMLSchemaValidator(schemaPath: schemas.appendingPathComponent("junit/jenkins-xunit-junit-10.xsd").path)
        let xml = DriftRenderer.render(DriftSample.result, format: .junit, options: options)
        try validator.validate(Data(xml.utf8), name: "drift.junit.xml")
        #expect(xml.contains("tests=\"8\" failures=\"7\" errors=\"0\""), "3 items + 3 checks (the fix passes) + 1 Talos + 1 failing")
        #expect(!xml.contains("<script>") && xml.contains("&lt;script&gt;"))
        // A result without drift still validates and shows what was compared.
        let clean = DriftResult(from: DriftSample.result.from, to: DriftSample.result.to)
        let cleanXML = DriftRenderer.render(clean, format: .junit)
        try validator.validate(Data(cleanXML.utf8), name: "clean.junit.xml")
        #expect(cleanXML.contains("failures=\"0\"") && cleanXML.contains("no item drift"))
        // And a broken document is refused, so the validation can fail.
        #expect(throws: (any Error).self) {
            try validator.validate(Data(cleanXML.replacingOccurrences(of: " tests=", with: " tezts=").utf8), name: "broken")
        }
    }

    @Test func sarifValidatesAgainstTheSchema() throws {
        guard let schemas = Self.schemas else { TestSupport.skip("../shared is absent: no SARIF schema to validate against"); return }
        guard (try? TestSupport.run("python3", ["-c", "import jsonschema"]))?.status == 0 else {
            TestSupport.skip("python3 with jsonschema is not installed"); return
        }
        let dir = try TestSupport.makeTempDir("vouch-sarif")
        let sarif = DriftRenderer.render(DriftSample.result, format: .sarif, options: options)
        let file = dir.appendingPathComponent("drift.sarif")
        try TestSupport.write(sarif, to: file)
        let schema = schemas.appendingPathComponent("sarif-2.1.0/sarif-schema-2.1.0.json").path
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
            errors = sorted(jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(doc), key=str)
            for e in errors: print(list(e.path), e.message)
            sys.exit(1 if errors else 0)
            """
        let ok = try TestSupport.run("python3", ["-c", script, schema, file.path])
        #expect(ok.status == 0, "SARIF invalid: \(ok.stdout) \(ok.stderr)")
        let doc = try JSONValue.parse(sarif)
        let results = doc["runs"]?.arrayValue?.first?["results"]?.arrayValue ?? []
        #expect(results.count == 8)
        #expect(results.first?["locations"]?.arrayValue?.first?["physicalLocation"]?["artifactLocation"]?["uri"]?.stringValue == "etc/new%20file.conf")
        // The validation can fail: a result without a message is refused.
        try TestSupport.write(sarif.replacingOccurrences(of: "\"message\":", with: "\"messagex\":"), to: file)
        #expect(try TestSupport.run("python3", ["-c", script, schema, file.path]).status == 1)
    }

    @Test func githubAnnotationsAndMarkdownEscape() throws {
        let r = DriftSample.result
        let gh = DriftRenderer.render(r, format: .github, options: options)
        let lines = gh.split(separator: "\n")
        #expect(lines.count == 8, "3 checks + 1 Talos + 3 items + 1 failing, one line each: \(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("::error ") || $0.hasPrefix("::warning ") || $0.hasPrefix("::notice ") })
        #expect(gh.contains("::error file=talos/cp1.yaml,title=Vouch%3A Talos cp1 runs other than declared::"))
        #expect(gh.contains("%250A") && !gh.contains("\u{1}"), "percent signs and control characters are escaped")
        let md = DriftMarkdown.render(r, options: options)
        #expect(!md.contains("<script>") && md.contains("&lt;script&gt;"))
        #expect(md.contains("\\| \\`b\\` \\*c\\*"))
        for line in md.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.replacingOccurrences(of: "\\|", with: "").split(separator: "|", omittingEmptySubsequences: false)
            #expect(cells.count >= 3, "a table row stays one row: \(line)")
        }
        // The step summary goes to $GITHUB_STEP_SUMMARY, appended.
        let summary = try TestSupport.makeTempDir("vouch-gh").appendingPathComponent("summary.md")
        try TestSupport.write("before\n", to: summary)
        _ = try DriftGitHub.writeStepSummary(r, options: options, environment: ["GITHUB_STEP_SUMMARY": summary.path])
        let written = try String(contentsOf: summary, encoding: .utf8)
        #expect(written.hasPrefix("before\n## Vouch drift: changes found"))
        #expect(try DriftGitHub.writeStepSummary(r, environment: [:]) == nil)
    }

    @Test func textAndJSONKeepFingerprints() throws {
        let text = DriftRenderer.render(DriftSample.result, format: .text, options: options)
        #expect(text.contains("$.cluster.secret: \"\(DriftSample.fingerprint)\" → \"sha256:\(String(repeating: "cd", count: 32))\""))
        #expect(text.contains("REGRESSION  ssh.no-root  web1: pass → fail"))
        #expect(text.hasSuffix("drift found.\n"))
        let json = try JSONValue.parse(DriftRenderer.render(DriftSample.result, format: .json))
        #expect(json["summary"]?["regressions"] == .int(1) && json["summary"]?["items_changed"] == .int(1))
        let blob = json["items"]?.arrayValue?[2]["fields"]?.arrayValue?[2]
        #expect(blob?["old"] == .string(DriftSample.fingerprint) && blob?["new"] == nil, "an absent side has no key")
    }
}
