extension Seal.SourceLine {
    /// Builds a manifest line outside the store (the bundle verifier recomputes seals from JSON).
    public static func make(seq: Int64, source: String, target: String, status: String, setSHA256: String) -> Seal.SourceLine {
        Seal.SourceLine(seq: seq, source: source, target: target, status: status, setSHA256: setSHA256)
    }
}
