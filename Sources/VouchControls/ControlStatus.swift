import Foundation
import VouchCore

/// A control's implementation status in one evaluation (the `control_result.status` values).
public enum ControlStatus: String, Sendable, CaseIterable {
    case implemented
    case partiallyImplemented = "partially_implemented"
    case notImplemented = "not_implemented"
    case manualAttested = "manual_attested"
    case manualPending = "manual_pending"
    case notApplicable = "not_applicable"
    case noEvidence = "no_evidence"
}

/// One control's derived result.
public struct ControlOutcome: Sendable, Hashable {
    public var control: Control
    public var applicable: Bool
    public var justification: String?
    public var status: ControlStatus
    public var attestation: JSONValue?
    public var passCount: Int
    public var failCount: Int
    public var errorCount: Int
}

/// Derives a control's status from its checks' results, the profile's applicability and attestations.
///
/// The rules, in order: excluded → not_applicable; any failure → not_implemented (or
/// partially_implemented when something also passed); passes with no failure → implemented, or
/// partially_implemented when some check could not be evaluated (error); no pass and no failure →
/// no_evidence when a check erred, else manual_attested with a current attestation, else
/// manual_pending for a control that can only be attested, else no_evidence. So a control is never
/// implemented without at least one passing result, and an error never becomes a pass.
public enum StatusDerivation {
    public static func derive(control: Control, applicability: ProfileSettings.Applicability, results: [CheckOutcome],
                              attestation: ProfileSettings.Attestation?, now: Date) -> ControlOutcome {
        let pass = results.filter { $0.status == "pass" }.count
        let fail = results.filter { $0.status == "fail" }.count
        let error = results.filter { $0.status == "error" }.count
        let attestationLive = attestation.map { $0.reviewBy >= now } ?? false
        let status: ControlStatus
        if !applicability.applicable { status = .notApplicable }
        else if fail > 0 { status = pass > 0 ? .partiallyImplemented : .notImplemented }
        else if pass > 0 { status = error > 0 ? .partiallyImplemented : .implemented }
        else if error > 0 { status = .noEvidence }
        else if attestationLive { status = .manualAttested }
        else if control.isManualOnly { status = .manualPending }
        else { status = .noEvidence }
        return ControlOutcome(control: control, applicable: applicability.applicable, justification: applicability.justification,
                              status: status, attestation: attestation.map { $0.json(expired: !attestationLive) },
                              passCount: pass, failCount: fail, errorCount: error)
    }
}
