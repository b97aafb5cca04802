import Foundation
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

@Suite("NixOSSource")
struct NixSourceTests {
    static let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----"

    @Test("planted secrets become fingerprints and never reach the SQLite file")
    func secrets() throws {
        let secrets = [
            "$6$plantedsalt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuv",
            "initial-PLANTED-pass-42",
            "plain-PLANTED-password-7",
            "api-PLANTED-secret-value-99",
            "let-bound-PLANTED-hash-1234",
            "$y$j9T$orphanPLANTEDhash$0123456789abcdefghijklmnopqrstuvwxyzABCD",
        ]
        let dir = try NixTestStore.tree(["configuration.nix": """
            { config, ... }:
            let
              pw = "\(secrets[4])";
              unused = "\(secrets[5])";
            in
            {
              users.users.alice.hashedPassword = "\(secrets[0])";
              users.users.bob.initialPassword = "\(secrets[1])";
              users.users.carol.password = "\(secrets[2])";
              users.users.dave.hashedPassword = pw;
              services.app.clientSecret = "\(secrets[3])";
              services.app.keyText = ''
                \(Self.pem.replacingOccurrences(of: "\n", with: "\n    "))
              '';
              services.app.secretFile = if config.x then "/a" else "/b";
              users.users.alice.hashedPasswordFile = "/run/secrets/alice";
            }
            """])
        let s = try NixTestStore.collect(dir.appendingPathComponent("configuration.nix").path)
        let o = try s.options()
        let secretPaths = Set(o.filter { $0.secret == 1 }.map(\.path))
        #expect(secretPaths == ["users.users.alice.hashedPassword", "users.users.bob.initialPassword", "users.users.carol.password",
                                "users.users.dave.hashedPassword", "services.app.clientSecret", "services.app.keyText",
                                "services.app.secretFile"])
        for row in o where row.secret == 1 {
            #expect(row.valueText?.hasPrefix("sha256:") == true)
        }
        #expect(o.first { $0.path == "users.users.alice.hashedPassword" }?.valueText == Redactor.fingerprintText(secrets[0]))
        #expect(o.first { $0.path == "users.users.alice.hashedPasswordFile" }?.valueText == "/run/secrets/alice")
        let bytes = try s.fileBytes()
        for secret in secrets + ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "secret found in the store: \(secret)")
        }
    }

    @Test("a flake folder: hosts from nixosConfigurations, inline modules, and flake.lock inputs with follows")
    func flake() throws {
        let dir = try NixTestStore.tree([
            "flake.nix": """
                {
                  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
                  outputs = { self, nixpkgs, ... }: {
                    nixosConfigurations.alpha = nixpkgs.lib.nixosSystem {
                      modules = [ ./alpha.nix { networking.firewall.enable = true; } ];
                    };
                    nixosConfigurations.beta = nixpkgs.lib.nixosSystem { modules = [ ./beta.nix ]; };
                  };
                }
                """,
            "alpha.nix": "{ services.openssh.settings.PermitRootLogin = \"yes\"; }",
            "beta.nix": "{ networking.hostName = \"ignored-name\"; }",
            "flake.lock": """
                {"nodes":{"nixpkgs":{"locked":{"lastModified":1700000000,"narHash":"sha256-AAAA","owner":"NixOS","repo":"nixpkgs",
                "rev":"0123456789abcdef0123456789abcdef01234567","type":"github"},"original":{"owner":"NixOS","ref":"nixos-25.05",
                "repo":"nixpkgs","type":"github"}},"hm":{"inputs":{"nixpkgs":["nixpkgs"]},"locked":{"lastModified":1700000001,
                "narHash":"sha256-BBBB","type":"git","url":"https://git.example.org/hm.git","rev":"89abcdef0123456789abcdef0123456789abcdef"},
                "original":{"type":"git","url":"https://git.example.org/hm.git"}},"root":{"inputs":{"nixpkgs":"nixpkgs","hm":"hm"}}},
                "root":"root","version":7}
                """,
        ])
        let s = try NixTestStore.collect(dir.path)
        let o = try s.options()
        #expect(Set(o.map(\.host)) == ["alpha", "beta"])
        #expect(o.contains { $0.host == "alpha" && $0.path == "networking.firewall.enable" && $0.file == "flake.nix" })
        #expect(o.contains { $0.host == "alpha" && $0.path == "services.openssh.settings.PermitRootLogin" && $0.valueText == "yes" })
        let inputs = try s.rows("SELECT name, type, owner, repo, url, rev, nar_hash, last_modified, ref, direct, inputs FROM nix_input ORDER BY name")
        #expect(inputs.count == 2)
        #expect(inputs[0]["name"] as String == "hm")
        #expect(inputs[0]["url"] as String == "https://git.example.org/hm.git")
        #expect(inputs[0]["inputs"] as String == "{\"nixpkgs\":[\"nixpkgs\"]}")
        #expect(inputs[1]["owner"] as String == "NixOS")
        #expect(inputs[1]["rev"] as String == "0123456789abcdef0123456789abcdef01234567")
        #expect(inputs[1]["last_modified"] as Int64 == 1_700_000_000)
        #expect(inputs[1]["ref"] as String == "nixos-25.05")
        #expect(inputs[1]["direct"] as Int64 == 1)
    }

    @Test("a broken flake.lock is an error item; other parts still land")
    func badLock() throws {
        let dir = try NixTestStore.tree(["flake.lock": "{\"nodes\": {", "flake.nix": "{ outputs = _: { }; }"])
        let s = try NixTestStore.collect(dir.path)
        let errors = try s.errors()
        #expect(errors.contains { $0.contains("flake.lock is not valid JSON") })
        #expect(errors.contains { $0.contains("no nixosConfigurations") })
    }

    @Test("generations from list-generations JSON; Unknown becomes NULL")
    func generationsJSON() throws {
        let dir = try NixTestStore.tree(["gens.json": """
            [{"generation": 12, "date": "2026-01-02 03:04:05", "nixosVersion": "25.05.1.abc", "kernelVersion": "6.12.1",
              "configurationRevision": "Unknown", "specialisations": ["x"], "current": true},
             {"generation": 11, "date": "2026-01-01 00:00:00", "nixosVersion": "Unknown", "kernelVersion": "6.12.0",
              "configurationRevision": "abc123", "specialisations": [], "current": false}]
            """])
        let s = try NixTestStore.collect(dir.appendingPathComponent("gens.json").path, options: ["host": "h9"])
        let r = try s.rows("SELECT host, generation, created_at, current, nixos_version, kernel_version, configuration_revision, specialisations FROM nixos_generation ORDER BY generation")
        #expect(r.count == 2)
        #expect(r.map { $0["generation"] as Int64 } == [11, 12])
        #expect(r.map { $0["current"] as Int64 } == [0, 1])
        #expect(r[0]["nixos_version"] as String? == nil)
        #expect(r[1]["configuration_revision"] as String? == nil)
        #expect(r[1]["specialisations"] as String == "[\"x\"]")
        #expect(r.allSatisfy { $0["host"] as String == "h9" })
    }

    @Test("generations from a profiles folder: links, their times, the current one, versions from the closure")
    func generationsProfiles() throws {
        let dir = try TestSupport.makeTempDir()
        let profiles = dir.appendingPathComponent("profiles")
        let store = dir.appendingPathComponent("store")
        let fm = FileManager.default
        try fm.createDirectory(at: profiles, withIntermediateDirectories: true)
        let closure = store.appendingPathComponent("abc-nixos-system-web-01-25.05.20261118.0a1b2c3")
        try fm.createDirectory(at: closure.appendingPathComponent("kernel-modules/lib/modules/6.12.58"), withIntermediateDirectories: true)
        try TestSupport.write("25.05.20261118.0a1b2c3\n", to: closure.appendingPathComponent("nixos-version"))
        try fm.createSymbolicLink(atPath: profiles.appendingPathComponent("system-41-link").path,
                                  withDestinationPath: "/nix/store/zzz-nixos-system-web-01-25.05.20261001.1111111")
        try fm.createSymbolicLink(atPath: profiles.appendingPathComponent("system-42-link").path, withDestinationPath: closure.path)
        try fm.createSymbolicLink(atPath: profiles.appendingPathComponent("system").path, withDestinationPath: "system-42-link")
        var times = [timespec(tv_sec: 1_763_000_000, tv_nsec: 0), timespec(tv_sec: 1_763_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, profiles.appendingPathComponent("system-41-link").path, &times, AT_SYMLINK_NOFOLLOW) == 0)
        let s = try NixTestStore.collect(profiles.path)
        let r = try s.rows("SELECT host, generation, created_at, current, nixos_version, kernel_version FROM nixos_generation ORDER BY generation")
        #expect(r.count == 2)
        #expect(r.map { $0["host"] as String } == ["web-01", "web-01"])
        #expect(r[0]["created_at"] as String == "2025-11-13T02:13:20.000Z")
        #expect(r.map { $0["current"] as Int64 } == [0, 1])
        #expect(r.map { $0["nixos_version"] as String } == ["25.05.20261001.1111111", "25.05.20261118.0a1b2c3"])
        #expect(r[1]["kernel_version"] as String == "6.12.58")
    }

    @Test("the sample estate: web01 lets root log in, db01 is normalized from legacy spellings")
    func fixtures() throws {
        let root = TestSupport.packageRoot.appendingPathComponent("fixtures/nixos")
        let s = try NixTestStore.collect(root.path)
        #expect(try s.errors().isEmpty)
        let prl = try s.options("path = 'services.openssh.settings.PermitRootLogin' AND effective = 1")
        #expect(Set(prl.map { "\($0.host)=\($0.valueText ?? "")" }) == ["web01=yes", "db01=prohibit-password"])
        let journald = try s.options("path = 'services.journald.extraConfig'")
        #expect(journald.allSatisfy { $0.valueText?.contains("MaxRetentionSec=400d") == true })
        #expect(try s.rows("SELECT * FROM nix_input").count == 2)
        #expect(try s.fileBytes().range(of: Data("vouchsample".utf8)) == nil)
    }

    @Test("every file of the shared NixOS corpora collects or yields clear per-file error items")
    func corpus() throws {
        guard let shared = NixShared.directory else {
            TestSupport.skip("../shared is absent (not in a user's clone)")
            return
        }
        var targets: [(String, [String: JSONValue])] = []
        for dir in ["corpora/nixos", "corpora/formats-samples/nixos"] {
            let root = shared.appendingPathComponent(dir)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where ["nix", "lock", "json"].contains(url.pathExtension) {
                targets.append((url.path, [:]))
            }
        }
        #expect(targets.count >= 25)
        let s = try NixTestStore.collect(targets)
        for o in s.outcome.sources {
            #expect(o.status != "error", "\(o.target): \(o.message ?? "")")
        }
        for e in try s.errors() {
            #expect(e.contains(".nix:") || e.contains("flake"), "unclear error: \(e)")
        }
        #expect(try s.rows("SELECT * FROM nix_input").count > 40)
        #expect(try s.options().count > 200)
    }
}
