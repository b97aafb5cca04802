import Foundation
import VouchCore

/// Everything a report shows, read from the store alone (see `ReportLoader`).
///
/// Renderers summarize it (the HTML shows the top rows per check with counts); the JSON
/// output is this model as it is, so it is the documented machine-readable shape
/// (`schema: vouch.report.v1`, keys in snake_case, sorted).
public struct ReportModel: Codable, Sendable {
    public var schema = "vouch.report.v1"
    public var generatedAt: String
    public var toolVersion: String
    public var organisation: String?
    public var scope: String?
    /// The capture reported on.
    public var capture: CaptureSummary
    /// The earliest and latest capture start in `history`.
    public var periodStart: String
    public var periodEnd: String
    /// Recent captures up to and including `capture`, oldest first (at most `ReportOptions.historyLimit`).
    public var history: [CaptureSummary]
    public var sources: [SourceSummary]
    /// The newest evaluation of the capture, nil when it was never evaluated.
    public var evaluation: EvaluationInfo?
    /// Every control of the Statement of Applicability, in catalog order (empty when not evaluated).
    public var controls: [ControlReport]
    public var drift: DriftReport?
    public var timeline: Timeline?
    public var policyVerification: PolicyVerificationReport?
    public var evidence: EvidenceAppendix
    public var trend: [TrendPoint]

    /// Control statuses and how many controls have each, in a fixed order.
    public var statusCounts: [NamedCount] {
        var counts: [String: Int] = [:]
        for c in controls { counts[c.status, default: 0] += 1 }
        return StatusVocabulary.order.compactMap { s in counts[s].map { NamedCount(name: s, count: $0) } }
            + counts.keys.filter { !StatusVocabulary.order.contains($0) }.sorted().map { NamedCount(name: $0, count: counts[$0]!) }
    }
}

/// The control statuses the engine writes, in the order reports list them.
public enum StatusVocabulary {
    public static let order = ["implemented", "partially_implemented", "not_implemented", "manual_attested",
                               "manual_pending", "no_evidence", "not_applicable", "not_evaluated"]

    /// Words for people.
    public static func label(_ s: String) -> String {
        switch s {
        case "implemented": return "Implemented"
        case "partially_implemented": return "Partially implemented"
        case "not_implemented": return "Not implemented"
        case "manual_attested": return "Manual (attested)"
        case "manual_pending": return "Manual (attestation pending)"
        case "no_evidence": return "No evidence"
        case "not_applicable": return "Not applicable"
        case "not_evaluated": return "Not evaluated"
        default: return s.replacingOccurrences(of: "_", with: " ")
        }
    }

    /// Whether the control counts as satisfied (an OSCAL finding's target status).
    public static func isSatisfied(_ s: String) -> Bool { s == "implemented" || s == "manual_attested" }
}

public struct NamedCount: Codable, Sendable, Hashable {
    public var name: String
    public var count: Int
}

public struct CaptureSummary: Codable, Sendable {
    public var id: Int64
    public var startedAt: String
    public var finishedAt: String
    public var host: String
    public var toolVersion: String
    public var profileSHA256: String?
    public var itemCount: Int
    public var errorCount: Int
    public var manifestSHA256: String
    public var prevSeal: String
    public var seal: String
}

public struct SourceSummary: Codable, Sendable {
    public var source: String
    public var target: String
    public var status: String
    public var itemCount: Int
    public var errorCount: Int
}

public struct EvaluationInfo: Codable, Sendable {
    public var id: Int64
    public var evaluatedAt: String
    public var catalogSHA256: String
    public var profileSHA256: String?
    public var toolVersion: String
}

/// One Annex A control with its checks, results, exceptions, attestation and evidence.
public struct ControlReport: Codable, Sendable {
    public var id: String
    public var title: String
    public var theme: String
    public var applicable: Bool
    public var justification: String?
    public var status: String
    public var attestation: Attestation?
    public var checks: [CheckReport]
    public var passCount: Int
    public var failCount: Int
    public var errorCount: Int
    /// The evidence items its checks cite (at most `ReportOptions.evidencePerControl`), and how many in all.
    public var evidence: [EvidenceRef]
    public var evidenceTotal: Int
}

/// A manual attestation as the engine stored it (known fields pulled out, the rest kept).
public struct Attestation: Codable, Sendable {
    public var statement: String?
    public var owner: String?
    public var date: String?
    public var reviewBy: String?
    public var evidence: String?
    public var raw: JSONValue
}

public struct StatusCounts: Codable, Sendable, Hashable {
    public var pass = 0, fail = 0, error = 0, skip = 0, manual = 0, info = 0
    public init() {}
    public var total: Int { pass + fail + error + skip + manual + info }

    public mutating func add(_ status: String, _ n: Int = 1) {
        switch status {
        case "pass": pass += n
        case "fail": fail += n
        case "error": error += n
        case "skip": skip += n
        case "manual": manual += n
        default: info += n
        }
    }
}

/// One check's results on one control's capture.
public struct CheckReport: Codable, Sendable {
    public var id: String
    public var counts: StatusCounts
    /// Every result, failures first, then by resource.
    public var results: [ResultRow]
    /// Exceptions that applied, grouped: how many resources each covered.
    public var exceptions: [ExceptionGroup]
}

public struct ResultRow: Codable, Sendable {
    public var resource: String
    public var status: String
    public var reason: String
    public var severity: String?
    public var exception: ExceptionInfo?
    public var evidence: [Int64]
}

public struct ExceptionInfo: Codable, Sendable, Hashable {
    public var reason: String
    public var approver: String
    public var expires: String
    public var expired: Bool
}

public struct ExceptionGroup: Codable, Sendable {
    public var exception: ExceptionInfo
    public var resources: Int
    public var example: String
}

/// What an auditor needs to find and re-check one evidence item.
public struct EvidenceRef: Codable, Sendable {
    public var id: Int64
    public var source: String
    public var kind: String
    public var subject: String
    public var origin: String
    public var collectedAt: String
    public var sha256: String
    public var blobSHA256: String?
    public var status: String
}

public struct TrendPoint: Codable, Sendable {
    public var captureID: Int64
    public var startedAt: String
    public var items: Int
    public var errors: Int
    public var evaluated: Bool
    public var statuses: [NamedCount]
    public var pass: Int
    public var fail: Int
}
