import Foundation
import VouchCore

/// Item-level drift since the previous capture: what was added, removed or changed, by kind and subject.
public struct DriftReport: Codable, Sendable {
    public var fromCapture: Int64
    public var toCapture: Int64
    public var added: Int
    public var removed: Int
    public var changed: Int
    public var byKind: [KindDrift]
    /// The first `ReportOptions.driftLimit` changes, ordered by kind, subject.
    public var entries: [DriftEntry]
    public var total: Int { added + removed + changed }
}

public struct KindDrift: Codable, Sendable {
    public var kind: String
    public var added: Int
    public var removed: Int
    public var changed: Int
}

public struct DriftEntry: Codable, Sendable {
    /// added, removed or changed.
    public var change: String
    public var kind: String
    public var subject: String
    public var fromSHA256: String?
    public var toSHA256: String?
}

/// The git change timeline: the newest commits the capture holds.
public struct Timeline: Codable, Sendable {
    public var total: Int
    public var signed: Int
    public var commits: [CommitRow]
}

public struct CommitRow: Codable, Sendable {
    public var repo: String
    public var id: String
    public var time: String
    public var author: String
    public var summary: String
    public var signature: String
}

/// Declared network policy against what the kernel enforces, per endpoint.
public struct PolicyVerificationReport: Codable, Sendable {
    public var verdicts: [NamedCount]
    public var endpoints: [EndpointVerification]
    public var endpointTotal: Int
    /// Rows whose verdict is not `match`, worst first (at most `ReportOptions.listLimit`).
    public var problems: [PolicyProblem]
    public var problemTotal: Int
}

public struct EndpointVerification: Codable, Sendable {
    public var endpointID: String
    public var namespace: String
    public var pod: String
    public var verdicts: [NamedCount]
    public var problems: Int
}

public struct PolicyProblem: Codable, Sendable {
    public var endpointID: String
    public var namespace: String
    public var pod: String
    public var direction: String
    public var identity: String
    public var proto: String
    public var port: String
    public var expected: String
    public var enforced: String
    public var verdict: String
    public var policies: String
}

/// What the capture holds, for the evidence appendix.
public struct EvidenceAppendix: Codable, Sendable {
    public var kinds: [KindCount]
    public var itemTotal: Int
    public var blobCount: Int
    public var blobBytes: Int64
    /// Error items (a source or file that could not be read), at most `ReportOptions.listLimit`.
    public var errors: [EvidenceRef]
    public var errorTotal: Int
    /// Every evidence item a check result cites, by id.
    public var cited: [EvidenceRef]
}

public struct KindCount: Codable, Sendable {
    public var source: String
    public var kind: String
    public var count: Int
    public var errors: Int
}

/// What to read and how much of it.
public struct ReportOptions: Sendable {
    public var captureID: Int64?
    /// The generation time printed in the report: pass one to make two renders byte-identical.
    public var generatedAt: String
    public var organisation: String?
    public var scope: String?
    public var historyLimit = 12
    public var evidencePerControl = 25
    public var driftLimit = 500
    public var timelineLimit = 40
    public var listLimit = 100

    public init(captureID: Int64? = nil, generatedAt: String = Timestamp.string(Date()),
                organisation: String? = nil, scope: String? = nil) {
        self.captureID = captureID
        self.generatedAt = generatedAt
        self.organisation = organisation
        self.scope = scope
    }
}
