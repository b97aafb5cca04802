import Foundation
import GRDB
import Testing
import VouchCore
@testable import VouchCollectors

/// Semantics table for `netpol`: each input gives exactly these `policy_rule` rows and `namespace_policy` flags.
@Suite struct NetworkPolicySemanticsTests {
    /// One case: manifest text, expected rule rows ("direction action peer_type peer ports [l7]"),
    /// expected namespace rows ("ns ddi dde wi we aai count").
    struct Case: CustomStringConvertible {
        var name: String
        var yaml: String
        var rules: [String]
        var namespaces: [String]
        var options: [String: JSONValue] = [:]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ingress [{}] allows everything to every pod", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-all, namespace: shop}
            spec:
              podSelector: {}
              ingress:
              - {}
            """, rules: ["ingress allow all {} [] world"], namespaces: ["shop 1 0 1 0 1 1"]),
        Case(name: "ingress [] isolates without allowing", yaml: """
            kind: NetworkPolicy
            apiVersion: networking.k8s.io/v1
            metadata: {name: deny, namespace: shop}
            spec:
              podSelector: {}
              ingress: []
            """, rules: [], namespaces: ["shop 1 0 0 0 0 1"]),
        Case(name: "policyTypes Egress only with egress []", yaml: """
            kind: NetworkPolicy
            metadata: {name: deny-egress, namespace: shop}
            spec:
              policyTypes: [Egress]
              podSelector:
                matchLabels:
              egress: []
            """, rules: [], namespaces: ["shop 0 1 0 0 0 1"]),
        Case(name: "no policyTypes: egress rules make it Ingress+Egress; labelled podSelector is no default deny", yaml: """
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              egress:
              - to:
                - podSelector: {matchLabels: {app: db}}
                ports:
                - port: 5432
            """, rules: [#"egress allow pod {"matchLabels":{"app":"db"}} [{"end_port":null,"port":5432,"protocol":"TCP"}] ns=shop"#],
            namespaces: ["shop 0 0 0 0 0 1"]),
        Case(name: "peers: namespace+pod, ipBlock with except, string/named ports and ranges; default namespace", yaml: """
            kind: NetworkPolicy
            metadata: {name: api}
            spec:
              podSelector: {}
              policyTypes: [Ingress]
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: mon}}
                  podSelector: {matchLabels: {app: prom}}
                - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
                ports:
                - port: "8080"
                - port: metrics
                  protocol: udp
                - port: 32000
                  endPort: 32768
            """, rules: [
                #"ingress allow cidr {"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]} [{"end_port":null,"port":8080,"protocol":"TCP"},{"end_port":null,"port":"metrics","protocol":"UDP"},{"end_port":32768,"port":32000,"protocol":"TCP"}] world"#,
                #"ingress allow namespace_pod {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"mon"}},"podSelector":{"matchLabels":{"app":"prom"}}} [{"end_port":null,"port":8080,"protocol":"TCP"},{"end_port":null,"port":"metrics","protocol":"UDP"},{"end_port":32768,"port":32000,"protocol":"TCP"}] ns=mon"#,
            ], namespaces: ["default 1 0 1 0 0 1"]),
        Case(name: "Cilium entities, egressDeny, toFQDNs, toCIDRSet except, ANY, port range, prefixes", yaml: """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: front, namespace: web}
            spec:
              endpointSelector: {matchLabels: {"k8s:app": front, "any:tier": edge}}
              ingress:
              - fromEntities: [world]
                toPorts:
                - ports: [{port: "443", protocol: TCP}]
              egress:
              - toFQDNs: [{matchName: api.example.com}]
                toPorts:
                - ports: [{port: "8000", endPort: 8100}]
              - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.96.0.0/12]}]
              egressDeny:
              - toEndpoints:
                - matchLabels: {"k8s:io.kubernetes.pod.namespace": vault}
            """, rules: [
                #"egress allow cidr {"cidr":"10.0.0.0/8","except":["10.96.0.0/12"]} []"#,
                #"egress allow fqdn {"matchName":"api.example.com"} [{"end_port":8100,"port":8000,"protocol":"ANY"}] world"#,
                #"egress deny endpoint {"matchLabels":{"io.kubernetes.pod.namespace":"vault"}} [] ns=vault"#,
                #"ingress allow entity {"entity":"world"} [{"end_port":null,"port":443,"protocol":"TCP"}] world"#,
            ], namespaces: ["web 0 0 1 1 0 1"]),
        Case(name: "Cilium L7 http (any key case), dns, kafka and specs", yaml: """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: l7, namespace: app}
            specs:
            - endpointSelector: {}
              ingress:
              - fromEndpoints: [{}]
                toPorts:
                - ports: [{port: '80', protocol: TCP}]
                  rules:
                    HTTP: [{method: GET, path: /health}]
              - fromEndpoints: [{matchLabels: {app: kafka-client}}]
                toPorts:
                - ports: [{port: "9092", protocol: TCP}]
                  rules: {kafka: [{apiKey: produce, topic: t1}]}
            - endpointSelector: {matchLabels: {app: x}}
              egress:
              - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, "k8s:k8s-app": kube-dns}}]
                toPorts:
                - ports: [{port: "53", protocol: ANY}]
                  rules: {dns: [{matchPattern: "*"}]}
            """, rules: [
                #"egress allow endpoint {"matchLabels":{"io.kubernetes.pod.namespace":"kube-system","k8s-app":"kube-dns"}} [{"end_port":null,"port":53,"protocol":"ANY"}] ns=kube-system l7={"dns":[{"matchPattern":"*"}]}"#,
                #"ingress allow endpoint {"matchLabels":{"app":"kafka-client"}} [{"end_port":null,"port":9092,"protocol":"TCP"}] ns=app l7={"kafka":[{"apiKey":"produce","topic":"t1"}]}"#,
                #"ingress allow endpoint {} [{"end_port":null,"port":80,"protocol":"TCP"}] ns=app l7={"http":[{"method":"GET","path":"/health"}]}"#,
            ], namespaces: ["app 1 0 0 0 0 1"]),
        Case(name: "Cilium empty rule allows nothing but isolates; L4-only rule allows every peer", yaml: """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: lock, namespace: db}
            spec:
              endpointSelector: {}
              ingress:
              - {}
              egress:
              - toPorts:
                - ports: [{port: "53", protocol: UDP}]
            """, rules: [#"egress allow all {} [{"end_port":null,"port":53,"protocol":"UDP"}] world"#],
            namespaces: ["db 1 1 0 1 0 1"]),
        Case(name: "clusterwide: counts for every namespace it selects; deny world wins over allow all", yaml: """
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: b, labels: {team: x}}
            ---
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: lockdown}
            spec:
              endpointSelector: {}
              ingressDeny:
              - fromEntities: [world]
              ingress:
              - fromEntities: [all]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: only-b}
            spec:
              endpointSelector: {matchLabels: {"k8s:io.kubernetes.pod.namespace": b}}
              egress:
              - toEntities: [world]
            """, rules: [
                #"egress allow entity {"entity":"world"} [] world"#,
                #"ingress allow entity {"entity":"all"} [] world"#,
                #"ingress deny entity {"entity":"world"} [] world"#,
            ], namespaces: ["a 1 0 0 0 0 1", "b 1 1 0 1 0 2", "c 1 0 0 0 0 1"], options: ["namespaces": ["c"]]),
        Case(name: "host policy (nodeSelector) applies to no namespace", yaml: """
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: host}
            spec:
              nodeSelector:
                {}
              ingress:
              - fromCIDR: [192.168.33.0/24]
            """, rules: [#"ingress allow cidr {"cidr":"192.168.33.0/24"} []"#], namespaces: ["kube-system 0 0 0 0 0 0"],
            options: ["namespaces": ["kube-system"]]),
    ]

    @Test(arguments: cases)
    func semantics(_ c: Case) throws {
        let h = try CollectHarness(source: "netpol", files: ["p.yaml": c.yaml], options: c.options)
        #expect(try h.errors() == [])
        let rules = try h.rows("SELECT * FROM policy_rule ORDER BY direction, action, peer_type, peer").map { r -> String in
            var s = "\(r["direction"] as String) \(r["action"] as String) \(r["peer_type"] as String) \(r["peer"] as String) \(r["ports"] as String)"
            if let ns = r["peer_namespace"] as String? { s += " ns=\(ns)" }
            if (r["peer_world"] as Int64) == 1 { s += " world" }
            if let l7 = r["l7"] as String? { s += " l7=\(l7)" }
            return s
        }
        #expect(rules.sorted() == c.rules.sorted())
        let namespaces = try h.rows("SELECT * FROM namespace_policy ORDER BY namespace").map { r -> String in
            let flags = ["default_deny_ingress", "default_deny_egress", "allows_world_ingress", "allows_world_egress",
                         "allow_all_ingress", "policy_count"].map { String(r[$0] as Int64) }
            return ([r["namespace"] as String] + flags).joined(separator: " ")
        }
        #expect(namespaces == c.namespaces)
    }
}
