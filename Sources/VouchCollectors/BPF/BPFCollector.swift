import Foundation
import VouchCore

/// The `bpf` source: what the kernel actually runs.
///
/// `live` reads the running kernel through libbpf (root, or CAP_BPF and CAP_PERFMON):
/// every program, map (with contents, fingerprinted whole) and link, pins found by walking
/// the bpffs mounts, Cilium's policy maps decoded. A DIR imports what `bpftool … -j` and
/// `cilium-dbg … -o json` printed on a node Vouch cannot run on privileged.
///
/// Profile options: `entry_cap` (entry rows kept per map, default 100000; the hash always
/// covers every entry), `contents: false` (metadata only), `map_ids: [..]` (only these maps),
/// `host` (the host name recorded in the facts).
public struct BPFCollector: Collector {
    public let source = "bpf"
    public let targetSyntax = "live|DIR"
    public let summary = "kernel BPF programs, maps (contents fingerprinted), links, Cilium policy maps; live via libbpf or imported bpftool/cilium-dbg JSON"

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        if request.target == "live" {
            try LiveCollection(request: request, sink: sink).run()
        } else {
            try ImportCollection(request: request, sink: sink).run()
        }
    }
}
