import Foundation

/// Errors of the evidence store: each says what failed, on which input, and what to do.
public enum StoreError: Error, LocalizedError, Sendable {
    case cannotOpen(path: String, reason: String)
    case newerSchema(path: String, found: String)
    case noSuchCapture(Int64)
    case noCaptures(path: String)
    case readOnlyQuery(String)

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the evidence store \(path): \(reason). Check the path and its permissions, or pass --store."
        case .newerSchema(let path, let found):
            return "the evidence store \(path) was written by a newer Vouch (migration \(found)); upgrade Vouch to read it."
        case .noSuchCapture(let id):
            return "there is no capture \(id) in this store; `vouch captures list` shows the ids."
        case .noCaptures(let path):
            return "the store \(path) holds no capture yet; run `vouch collect` first."
        case .readOnlyQuery(let reason):
            return "the query was refused: \(reason). `vouch query` opens the store read-only."
        }
    }
}

/// Errors of a collection run.
public enum CollectError: Error, LocalizedError, Sendable {
    case unknownSource(String, known: [String])
    case badSourceSpec(String)
    case sourceFailed(source: String, target: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unknownSource(let s, let known):
            return "unknown source '\(s)'; known sources: \(known.joined(separator: ", "))."
        case .badSourceSpec(let s):
            return "'\(s)' is not a source: write KIND=TARGET, e.g. files=./etc or git=."
        case .sourceFailed(let source, let target, let reason):
            return "source \(source)=\(target) failed: \(reason)"
        }
    }
}
