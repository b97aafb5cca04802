import Foundation
import VouchCore

/// The profile's control sections: scope, applicability, check inputs, exceptions, attestations.
public struct ProfileSettings: Sendable {
    /// An applicability decision for one control.
    public struct Applicability: Sendable, Hashable {
        public var applicable: Bool
        public var justification: String?
    }

    /// A risk acceptance: a check's failures on matching resources are waived until it expires.
    public struct Exception: Sendable, Hashable {
        public var check: String
        /// A glob (`*`, `?`, `[…]`) matched against the result's resource.
        public var resource: String
        public var reason: String
        public var approver: String
        public var expires: Date
        public var location: String

        public func matches(check id: String, resource r: String) -> Bool {
            check == id && fnmatch(resource, r, 0) == 0
        }

        public func json(expired: Bool) -> JSONValue {
            ["reason": .string(reason), "approver": .string(approver), "expires": .string(DateText.day(expires)),
             "expired": .bool(expired), "resource": .string(resource)]
        }
    }

    /// A person's statement that a control is in place, with who, when, until when, and where the proof is.
    public struct Attestation: Sendable, Hashable {
        public var control: String
        public var statement: String
        public var owner: String
        public var date: Date
        public var reviewBy: Date
        public var evidence: String?

        public func json(expired: Bool) -> JSONValue {
            var o: [String: JSONValue] = ["statement": .string(statement), "owner": .string(owner),
                                          "date": .string(DateText.day(date)), "review_by": .string(DateText.day(reviewBy)),
                                          "expired": .bool(expired)]
            if let evidence { o["evidence"] = .string(evidence) }
            return .object(o)
        }
    }

    /// A profile switch for one check.
    public struct CheckSetting: Sendable, Hashable {
        public var enabled = true
        public var reason: String?
        public var inputs: [String: JSONValue] = [:]
    }

    public var organisation: String?
    public var scope: String?
    /// Evidence older than this (seconds) is an error.
    public var maxEvidenceAge: Int64?
    /// Inputs shared by every check declaring them.
    public var inputs: [String: JSONValue] = [:]
    public var checks: [String: CheckSetting] = [:]
    public var applicability: [String: Applicability] = [:]
    public var exceptions: [Exception] = []
    public var attestations: [Attestation] = []

    public init() {}

    /// The values for one check: declared defaults, then shared `inputs`, then the check's own.
    public func inputValues(for check: Check) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for i in check.inputs {
            out[i.name] = checks[check.id]?.inputs[i.name] ?? inputs[i.name] ?? i.defaultValue
        }
        return out
    }

    public func applicability(of control: String) -> Applicability {
        applicability[control] ?? Applicability(applicable: true, justification: nil)
    }

    /// The newest attestation for a control.
    public func attestation(for control: String) -> Attestation? {
        attestations.filter { $0.control == control }.max { $0.date < $1.date }
    }
}
