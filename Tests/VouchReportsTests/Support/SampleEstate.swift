import Foundation
import VouchCore
import VouchReports

/// The fixture estate of the golden test: two captures of a small platform (Talos nodes,
/// a NixOS host, repository files), the second with changes, both evaluated.
enum SampleEstate {
    static let controls: [FixtureControl] = [
        FixtureControl(id: "A.5.1", title: "Policies for information security", theme: "Organizational", status: "manual_attested",
                       attestation: #"{"statement":"The ISMS policy set v3 was approved by the board.","owner":"CISO","date":"2025-11-02","review_by":"2026-11-01","evidence":"policies/isms-v3.pdf"}"#),
        FixtureControl(id: "A.5.9", title: "Inventory of information and other associated assets", theme: "Organizational",
                       status: "implemented", checks: ["inventory.nodes_seen"]),
        FixtureControl(id: "A.5.23", title: "Information security for use of cloud services", theme: "Organizational",
                       applicable: false, justification: "No public cloud services are used; the platform runs on owned hardware.",
                       status: "not_applicable"),
        FixtureControl(id: "A.6.3", title: "Information security awareness, education and training", theme: "People",
                       status: "manual_pending"),
        FixtureControl(id: "A.7.4", title: "Physical security monitoring", theme: "Physical", applicable: false,
                       justification: "Hosted in a certified colocation facility (covered by its ISO 27001 certificate).",
                       status: "not_applicable"),
        FixtureControl(id: "A.8.5", title: "Secure authentication", theme: "Technological", status: "not_implemented",
                       checks: ["nixos.ssh_password_auth", "nixos.ssh_root_login"]),
        FixtureControl(id: "A.8.9", title: "Configuration management", theme: "Technological", status: "partially_implemented",
                       checks: ["config.declared_settings_present"]),
        FixtureControl(id: "A.8.17", title: "Clock synchronization", theme: "Technological", status: "implemented",
                       checks: ["talos.time_servers"]),
        FixtureControl(id: "A.8.24", title: "Use of cryptography", theme: "Technological", status: "no_evidence",
                       checks: ["talos.state_encryption"]),
    ]

    static func items(second: Bool) -> [(EvidenceItem, Data?)] {
        var out: [(EvidenceItem, Data?)] = [
            ReportFixture.item("talos.machineconfig", "cp-1", ["time": ["servers": ["ntp1.example.net"]], "version": "v1.11.2"],
                               origin: "talos/cp-1.yaml", blob: "machine:\n  time:\n    servers: [ntp1.example.net]\n"),
            ReportFixture.item("talos.machineconfig", "worker-1", ["time": ["servers": ["ntp1.example.net"]], "version": "v1.11.2"],
                               origin: "talos/worker-1.yaml", blob: "machine:\n  time:\n    servers: [ntp1.example.net]\n"),
            ReportFixture.item("nixos.option", "bastion/services.openssh.settings.PasswordAuthentication",
                               ["value": .bool(second)], origin: "nixos/bastion/configuration.nix"),
            ReportFixture.item("nixos.option", "bastion/services.openssh.settings.PermitRootLogin",
                               ["value": "no"], origin: "nixos/bastion/configuration.nix"),
            ReportFixture.item("file", "k8s/namespaces.yaml", ["mode": "0644", "size": 120], origin: "repo/k8s/namespaces.yaml",
                               blob: "apiVersion: v1\nkind: Namespace\n"),
        ]
        if second {
            out.append(ReportFixture.item("talos.machineconfig", "worker-2", ["time": ["servers": []], "version": "v1.11.2"],
                                          origin: "talos/worker-2.yaml", blob: "machine: {}\n"))
            out.remove(at: 4)
            out.append(ReportFixture.item("file", "k8s/netpol.yaml", ["mode": "0644", "size": 80], origin: "repo/k8s/netpol.yaml",
                                          blob: "kind: NetworkPolicy\n"))
        }
        return out
    }

    static func results(second: Bool) -> [FixtureResult] {
        var r: [FixtureResult] = [
            FixtureResult(check: "inventory.nodes_seen", resource: "cp-1", status: "pass", reason: "node seen in the capture",
                          evidenceSubjects: ["cp-1"]),
            FixtureResult(check: "inventory.nodes_seen", resource: "worker-1", status: "pass", reason: "node seen in the capture",
                          evidenceSubjects: ["worker-1"]),
            FixtureResult(check: "talos.time_servers", resource: "cp-1", status: "pass", reason: "1 time server configured",
                          evidenceSubjects: ["cp-1"]),
            FixtureResult(check: "talos.time_servers", resource: "worker-1", status: "pass", reason: "1 time server configured",
                          evidenceSubjects: ["worker-1"]),
            FixtureResult(check: "nixos.ssh_root_login", resource: "bastion", status: "pass", reason: "PermitRootLogin is no",
                          evidenceSubjects: ["bastion/services.openssh.settings.PermitRootLogin"]),
            FixtureResult(check: "nixos.ssh_password_auth", resource: "bastion", status: second ? "fail" : "pass",
                          reason: second ? "PasswordAuthentication is enabled" : "PasswordAuthentication is disabled",
                          evidenceSubjects: ["bastion/services.openssh.settings.PasswordAuthentication"]),
            FixtureResult(check: "config.declared_settings_present", resource: "cp-1", status: "pass", reason: "all declared settings present"),
            FixtureResult(check: "config.declared_settings_present", resource: "worker-1", status: "fail",
                          reason: "machine.kubelet.extraArgs.rotate-server-certificates is not declared",
                          exception: #"{"reason":"Kubelet rotation lands with the v1.12 upgrade","approver":"Head of Platform","expires":"2026-03-31","expired":false}"#),
            FixtureResult(check: "talos.state_encryption", resource: "cp-1", status: "error",
                          reason: "the STATE volume config could not be read from the capture"),
        ]
        if second {
            r.append(FixtureResult(check: "inventory.nodes_seen", resource: "worker-2", status: "pass", reason: "node seen in the capture",
                                   evidenceSubjects: ["worker-2"]))
            r.append(FixtureResult(check: "talos.time_servers", resource: "worker-2", status: "fail", reason: "no time server configured",
                                   evidenceSubjects: ["worker-2"]))
        }
        return r
    }

    static func controls(second: Bool) -> [FixtureControl] {
        controls.map { c in
            var c = c
            if !second, c.id == "A.8.5" { c.status = "implemented" }
            if second, c.id == "A.8.17" { c.status = "partially_implemented" }
            return c
        }
    }

    /// Builds the two captures and their evaluations; returns the store.
    static func build() throws -> (EvidenceStore, URL) {
        let (store, dir) = try ReportFixture.makeStore()
        let c1 = try ReportFixture.capture(store, at: "2025-12-01T09:00:00.000Z", items: items(second: false))
        try ReportFixture.evaluate(store, capture: c1, at: "2025-12-01T09:05:00.000Z", controls: controls(second: false),
                                   results: results(second: false))
        let c2 = try ReportFixture.capture(store, at: "2025-12-15T09:00:00.000Z", items: items(second: true))
        try ReportFixture.evaluate(store, capture: c2, at: "2025-12-15T09:05:00.000Z", controls: controls(second: true),
                                   results: results(second: true))
        return (store, dir)
    }

    static func options() -> ReportOptions {
        ReportOptions(generatedAt: ReportFixture.generatedAt, organisation: "Example Platform Team",
                      scope: "Production Kubernetes platform and its infrastructure repositories")
    }
}
