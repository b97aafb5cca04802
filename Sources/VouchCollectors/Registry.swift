import VouchCore

/// Every collector Vouch ships, one per source kind. A test asserts each is listed and documented.
public enum CollectorRegistry {
    public static let all: [any Collector] = [
        FilesCollector(),
        NetworkPolicyCollector(),
        RetentionCollector(),
        NixOSCollector(),
        GitCollector(),
        BPFCollector(),
        TalosCollector(),
    ]

    public static func collector(for source: String) -> (any Collector)? {
        all.first { $0.source == source }
    }

    public static var sourceNames: [String] { all.map(\.source) }
}
