/// The kernel's enum values as bpftool spells them.
///
/// Kept here rather than asked of libbpf: the Debian libbpf (1.1) predates newer kernel
/// types (tcx, netkit, arena…) and would answer NULL for them; these tables follow the
/// kernel's UAPI `enum bpf_prog_type`, `bpf_map_type`, `bpf_link_type`, `bpf_attach_type`.
enum BPFNames {
    static let programTypes = [
        "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
        "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
        "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
        "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
        "ext", "lsm", "sk_lookup", "syscall", "netfilter",
    ]
    static let mapTypes = [
        "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
        "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap",
        "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage",
        "queue", "stack", "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage",
        "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
    ]
    static let linkTypes = [
        "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
        "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
    ]
    static let attachTypes = [
        "cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create", "cgroup_sock_ops",
        "sk_skb_stream_parser", "sk_skb_stream_verdict", "cgroup_device", "sk_msg_verdict", "cgroup_inet4_bind",
        "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect", "cgroup_inet4_post_bind",
        "cgroup_inet6_post_bind", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "lirc_mode2", "flow_dissector",
        "cgroup_sysctl", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt",
        "trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "trace_iter",
        "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
        "xdp_devmap", "cgroup_inet_sock_release", "xdp_cpumap", "sk_lookup", "xdp", "sk_skb_verdict",
        "sk_reuseport_select", "sk_reuseport_select_or_migrate", "perf_event", "trace_kprobe_multi", "lsm_cgroup",
        "struct_ops", "netfilter", "tcx_ingress", "tcx_egress", "trace_uprobe_multi", "cgroup_unix_connect",
        "cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname",
        "netkit_primary", "netkit_peer", "trace_kprobe_session", "trace_uprobe_session",
    ]

    /// Map types whose values are kept per possible CPU.
    static let perCPUMapTypes: Set<String> = ["percpu_hash", "percpu_array", "lru_percpu_hash", "percpu_cgroup_storage"]

    /// Map types whose contents Vouch reads: data maps, plus the fd maps whose lookup answers an object id.
    static let readableMapTypes: Set<String> = [
        "hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lru_percpu_hash", "lpm_trie",
        "array_of_maps", "hash_of_maps", "prog_array", "devmap", "devmap_hash", "cpumap",
    ]

    static func name(_ table: [String], _ value: UInt32) -> String {
        Int(value) < table.count ? table[Int(value)] : String(value)
    }
}
