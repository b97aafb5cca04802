import Foundation
import Testing
import VouchCore
import VouchTestSupport
@testable import VouchCollectors

@Suite("NixOSOptions")
struct NixOptionTests {
    @Test("assignments flatten across nested sets; repeated sets merge; literals become JSON")
    func flattening() throws {
        let dir = try NixTestStore.tree(["configuration.nix": """
            { config, pkgs, ... }:
            {
              networking.firewall.enable = true;
              networking.firewall = {
                allowedTCPPorts = [ 22 443 ];
                extra = { deep.value = 1.5; };
              };
              services."my-app".name = "x";
              users.users.root = { };
            }
            """])
        let s = try NixTestStore.collect(dir.appendingPathComponent("configuration.nix").path)
        let o = try s.options()
        #expect(o.map(\.path) == ["networking.firewall.enable", "networking.firewall.allowedTCPPorts",
                                  "networking.firewall.extra.deep.value", "services.my-app.name", "users.users.root"])
        #expect(o.map(\.value) == ["true", "[22,443]", "1.5", "\"x\"", "{}"])
        #expect(o.map(\.valueText) == ["true", nil, "1.5", "x", nil])
        #expect(o.map(\.line) == [3, 5, 6, 8, 9])
        #expect(o.allSatisfy { $0.evaluated == 1 && $0.priority == 100 && $0.file == "configuration.nix" && $0.host == dir.lastPathComponent })
    }

    @Test("let constants, toString and interpolation resolve; anything else is kept unevaluated")
    func constants() throws {
        let dir = try NixTestStore.tree(["host.nix": """
            { config, lib, ... }:
            let
              days = 400;
              unit = "d";
              base = { port = 22; };
              name = config.networking.hostName;
            in
            {
              networking.hostName = "h1";
              services.journald.extraConfig = "MaxRetentionSec=${toString days}${unit}";
              services.x.port = base.port + 1;
              services.x.list = [ days "a" ] ++ [ true ];
              services.x.name = "${name}-x";
              services.x.bad = "${days}";
              services.x.cond = if days > 365 then "long" else "short";
              services.x.fromPkgs = config.services.y.enable;
            }
            """])
        let s = try NixTestStore.collect(dir.appendingPathComponent("host.nix").path)
        let byPath = Dictionary(try s.options().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["services.journald.extraConfig"]?.valueText == "MaxRetentionSec=400d")
        #expect(byPath["services.x.port"]?.value == "23")
        #expect(byPath["services.x.list"]?.value == "[400,\"a\",true]")
        #expect(byPath["services.x.cond"]?.valueText == "long")
        for p in ["services.x.name", "services.x.bad", "services.x.fromPkgs"] {
            #expect(byPath[p]?.evaluated == 0, "\(p)")
        }
        #expect(byPath["services.x.fromPkgs"]?.valueText == "config.services.y.enable")
        #expect(byPath["services.x.bad"]?.value == #""\"${days}\"""#)
        #expect(byPath["networking.hostName"]?.host == "h1")
    }

    @Test("mkIf conditions, mkDefault/mkForce/mkOverride priorities, mkMerge, and the effective flag")
    func moduleFunctions() throws {
        let dir = try NixTestStore.tree(["m.nix": """
            { config, lib, ... }:
            with lib;
            {
              services.openssh.settings.PermitRootLogin = mkMerge [ (mkDefault "no") (lib.mkForce "yes") ];
              boot.kernelParams = mkOverride 10 [ "quiet" ];
              services.nginx = mkIf config.services.web.enable (mkMerge [
                { enable = true; }
                (mkIf (config.x
                       || config.y) { recommendedTlsSettings = true; })
              ]);
            }
            """])
        let s = try NixTestStore.collect(dir.appendingPathComponent("m.nix").path)
        let o = try s.options()
        let prl = o.filter { $0.path == "services.openssh.settings.PermitRootLogin" }
        #expect(prl.map(\.priority) == [1000, 50])
        #expect(prl.map(\.effective) == [0, 1])
        #expect(o.first { $0.path == "boot.kernelParams" }?.priority == 10)
        let nginx = o.filter { $0.path.hasPrefix("services.nginx.") }
        #expect(nginx.map(\.path) == ["services.nginx.enable", "services.nginx.recommendedTlsSettings"])
        #expect(nginx.map(\.condition) == ["config.services.web.enable", "config.services.web.enable && (config.x || config.y)"])
    }

    @Test("a module with config/options sections: only config is read")
    func fullModule() throws {
        let dir = try NixTestStore.tree(["full.nix": """
            { lib, config, ... }:
            {
              options.services.foo.enable = lib.mkEnableOption "foo";
              config = lib.mkIf config.services.foo.enable {
                security.auditd.enable = true;
              };
              imports = [ ];
            }
            """])
        let o = try NixTestStore.collect(dir.appendingPathComponent("full.nix").path).options()
        #expect(o.map(\.path) == ["security.auditd.enable"])
        #expect(o.first?.condition == "config.services.foo.enable")
    }

    @Test("legacy openssh spellings are normalized next to the current ones")
    func legacy() throws {
        let dir = try NixTestStore.tree(["old.nix": """
            {
              services.openssh.passwordAuthentication = false;
              services.openssh.permitRootLogin = "no";
              services.openssh.challengeResponseAuthentication = false;
            }
            """])
        let o = try NixTestStore.collect(dir.appendingPathComponent("old.nix").path).options()
        #expect(o.map(\.path) == [
            "services.openssh.passwordAuthentication", "services.openssh.settings.PasswordAuthentication",
            "services.openssh.permitRootLogin", "services.openssh.settings.PermitRootLogin",
            "services.openssh.challengeResponseAuthentication", "services.openssh.settings.KbdInteractiveAuthentication",
        ])
        #expect(o.map(\.legacyPath) == [nil, "services.openssh.passwordAuthentication", nil, "services.openssh.permitRootLogin",
                                        nil, "services.openssh.challengeResponseAuthentication"])
        #expect(o[3].valueText == "no")
    }

    @Test("imports are followed recursively and cycle-safe; file is the assigning file; a missing import is an error item")
    func imports() throws {
        let dir = try NixTestStore.tree([
            "hosts/a/configuration.nix": "{ imports = [ ../../modules/x.nix ./hw.nix ./missing.nix inputs.foo.module ]; a.top = 1; }",
            "hosts/a/hw.nix": "{ ... }: { imports = [ ./configuration.nix ]; a.hw = 2; }",
            "modules/x.nix": "{ imports = [ ./y ]; a.x = 3; }",
            "modules/y/default.nix": "{ imports = [ ../x.nix ]; a.y = 4; }",
        ])
        let s = try NixTestStore.collect(dir.appendingPathComponent("hosts/a/configuration.nix").path)
        let o = try s.options("path LIKE 'a.%'")
        #expect(o.map(\.path) == ["a.top", "a.x", "a.hw", "a.y"])
        #expect(o.map(\.file) == ["configuration.nix", "../../modules/x.nix", "hw.nix", "../../modules/y/default.nix"])
        #expect(o.allSatisfy { $0.host == "a" })
        let unresolved = try s.options("path = 'imports'")
        #expect(unresolved.map(\.valueText) == ["inputs.foo.module"])
        #expect(unresolved.first?.evaluated == 0)
        let errors = try s.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("configuration.nix:1:") == true && errors.first?.contains("./missing.nix") == true)
        #expect(s.outcome.sources.first?.status == "partial")
    }

    @Test("a file with a syntax error becomes an error item naming file:line:column; the rest lands")
    func syntaxErrorFile() throws {
        let dir = try NixTestStore.tree([
            "configuration.nix": "{ imports = [ ./broken.nix ./bad-utf8.nix ]; ok = true; }",
            "broken.nix": "{\n  x = \"never closed;\n}\n",
        ])
        var bad = Data("{ y = \"".utf8)
        bad.append(contentsOf: [0xFF, 0xFE])
        bad.append(Data("\"; }".utf8))
        try bad.write(to: dir.appendingPathComponent("bad-utf8.nix"))
        let s = try NixTestStore.collect(dir.appendingPathComponent("configuration.nix").path)
        #expect(try s.options().map(\.path) == ["ok"])
        let errors = try s.errors()
        #expect(errors.count == 2)
        #expect(errors.contains { $0.contains("broken.nix:2:7: unterminated string") })
        #expect(errors.contains { $0.contains("bad-utf8.nix:1:8: invalid UTF-8") })
    }

    @Test("a module file over the size limit is refused with a clear error, without reading it")
    func hugeFile() throws {
        let dir = try NixTestStore.tree(["configuration.nix": "{ imports = [ ./huge.nix ]; ok = 1; }"])
        let huge = dir.appendingPathComponent("huge.nix")
        _ = FileManager.default.createFile(atPath: huge.path, contents: nil)
        let h = try FileHandle(forWritingTo: huge)
        try h.truncate(atOffset: 100 << 20)   // sparse: 100 MiB on paper, nothing on disk
        try h.close()
        let s = try NixTestStore.collect(dir.appendingPathComponent("configuration.nix").path)
        #expect(try s.options().map(\.path) == ["ok"])
        #expect(try s.errors().first?.contains("huge.nix is 100 MiB") == true)
    }

    @Test("a missing target fails the source with a clear message")
    func missingTarget() throws {
        let dir = try TestSupport.makeTempDir()
        let s = try NixTestStore.collect(dir.appendingPathComponent("nope.nix").path)
        #expect(s.outcome.sources.first?.status == "error")
        #expect(s.outcome.sources.first?.message?.contains("does not exist") == true)
    }
}
