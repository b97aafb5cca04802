import Foundation
import Testing
@testable import VouchControls
import VouchTestSupport

/// `vouch init`, `evaluate` and `controls` through the built binary.
@Suite struct EngineCLITests {
    let controls = ShippedCatalog.directory.path

    @Test func initWritesAStarterThatEvaluates() throws {
        let dir = try TestSupport.makeTempDir("vouch-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.vouch(["init", "--controls", controls], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: dir.appendingPathComponent("vouch.yaml"), encoding: .utf8)
        #expect(text == (try String(contentsOf: ShippedCatalog.directory.appendingPathComponent("starter-profile.yaml"), encoding: .utf8)))
        let again = try TestSupport.vouch(["init", "--controls", controls], cwd: dir)
        #expect(again.status == 2)
        #expect(again.stderr.contains("exists already"))
        try TestSupport.write("a\n", to: dir.appendingPathComponent("etc/hosts"))
        let c = try TestSupport.vouch(["collect"], cwd: dir)
        #expect(c.status == 0, "\(c.stderr)")
        let e = try TestSupport.vouch(["evaluate", "--controls", controls], cwd: dir)
        #expect(e.status == 0, "\(e.stdout)\(e.stderr)")
        #expect(e.stdout.contains("--controls"))
        let soa = try TestSupport.vouch(["query", "SELECT count(*) AS n FROM soa", "--format", "csv"], cwd: dir)
        #expect(soa.stdout == "n\n93\n")
    }

    @Test func evaluateExitsOneWhenACheckFails() throws {
        let dir = try TestSupport.makeTempDir("vouch-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.write("a\n", to: dir.appendingPathComponent("etc/hosts"))
        try TestSupport.write("sources: [{kind: files, target: etc}]\ninputs: {max_capture_age: 0s}\n", to: dir.appendingPathComponent("vouch.yaml"))
        #expect(try TestSupport.vouch(["collect"], cwd: dir).status == 0)
        let e = try TestSupport.vouch(["evaluate"], cwd: dir, env: ["VOUCH_CONTROLS": controls])
        #expect(e.status == 1, "\(e.stdout)\(e.stderr)")
        #expect(e.stdout.contains("FAIL  store.capture-fresh"))
        #expect(e.stdout.contains("$VOUCH_CONTROLS"))
        let bad = try TestSupport.vouch(["evaluate", "--capture", "99"], cwd: dir, env: ["VOUCH_CONTROLS": controls])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("no capture 99"))
    }

    @Test func controlsListShowLint() throws {
        let list = try TestSupport.vouch(["controls", "list", "--controls", controls])
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 93)
        #expect(lines.first?.hasPrefix("A.5.1 ") == true)
        let show = try TestSupport.vouch(["controls", "show", "A.5.33", "--controls", controls])
        #expect(show.stdout.contains("Protection of records"))
        #expect(show.stdout.contains("store.chain-verifies"))
        let check = try TestSupport.vouch(["controls", "show", "store.capture-fresh", "--controls", controls])
        #expect(check.stdout.contains("max_capture_age (duration, default \"26h\")"))
        let missing = try TestSupport.vouch(["controls", "show", "A.9.1", "--controls", controls])
        #expect(missing.status == 2)
        let lint = try TestSupport.vouch(["controls", "lint", "--controls", controls])
        #expect(lint.status == 0, "\(lint.stdout)")
        #expect(lint.stdout.contains("ok: 93 controls"))
    }

    @Test func theCatalogIsFoundBesideTheProfileOrTheExecutable() throws {
        let dir = try TestSupport.makeTempDir("vouch-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let profileDir = dir.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: profileDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ShippedCatalog.directory, to: profileDir.appendingPathComponent("controls"))
        let found = try CatalogLocator.locate(explicit: nil, profileDirectory: profileDir, environment: [:], workingDirectory: dir, executable: nil)
        #expect(found.origin == "next to the profile")
        let env = try CatalogLocator.locate(explicit: nil, profileDirectory: profileDir, environment: ["VOUCH_CONTROLS": controls],
                                            workingDirectory: dir, executable: nil)
        #expect(env.origin == "$VOUCH_CONTROLS")
        let exe = try CatalogLocator.locate(explicit: nil, profileDirectory: nil, environment: [:], workingDirectory: dir,
                                            executable: TestSupport.vouchBinary)
        #expect(exe.origin == "beside the executable")
        #expect(exe.directory.path == ShippedCatalog.directory.standardizedFileURL.path)
        #expect(throws: CatalogError.self) {
            try CatalogLocator.locate(explicit: nil, profileDirectory: nil, environment: [:], workingDirectory: dir, executable: nil)
        }
        #expect(throws: CatalogError.self) {
            try CatalogLocator.locate(explicit: dir.path, profileDirectory: nil, environment: [:], workingDirectory: dir, executable: nil)
        }
        // The binary alone, from an unrelated folder, still finds the catalog of its package.
        let r = try TestSupport.vouch(["controls", "lint", "--no-tests"], cwd: dir, env: ["VOUCH_CONTROLS": ""])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("beside the executable"))
    }
}
