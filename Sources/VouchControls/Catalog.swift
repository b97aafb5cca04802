import Foundation
import VouchCore

/// The framework a catalog describes (`framework.yaml`): its name, themes and files.
public struct Framework: Sendable, Hashable {
    public var id: String
    public var title: String
    public var version: String
    /// Theme ids in display order.
    public var themes: [String]
    /// Theme id → display title.
    public var themeTitles: [String: String]
}

/// One control of the catalog: what it asks for, which checks give evidence, what a person must attest.
public struct Control: Sendable, Hashable {
    public var id: String
    public var title: String
    public var theme: String
    /// What evidence an auditor expects, in the catalog authors' words.
    public var guidance: String
    /// Check ids that give automated evidence.
    public var checks: [String]
    /// What a manual attestation must state, when the control needs one.
    public var manual: String?
    /// Where it was defined (for messages).
    public var location: String

    /// A control with no checks can only be attested.
    public var isManualOnly: Bool { checks.isEmpty }
}

/// One declared input (threshold, allowlist) of a check, bound to the SQL as `:name`.
public struct CheckInput: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable { case integer, number, string, boolean, duration, list }
    public var name: String
    public var kind: Kind
    public var defaultValue: JSONValue
    public var description: String
}

/// One test case of a check: facts in, statuses out.
public struct CheckTestCase: Sendable, Hashable {
    public var name: String
    /// The evaluation time (default: a fixed time, so cases are deterministic).
    public var now: String?
    public var inputs: [String: JSONValue]
    /// Source state per source: ok (default), partial, error, missing, or a collection time (`stale:` prefix not needed).
    public var sources: [String: String]
    /// Rows per table; `capture_id` (and `evaluation_id`) default to the case's ids.
    public var facts: [(table: String, rows: [[String: JSONValue]])]
    /// Expected (resource, status) pairs, exactly.
    public var expect: [String: String]
    public var location: String

    public static func == (a: CheckTestCase, b: CheckTestCase) -> Bool { a.name == b.name && a.location == b.location }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(location) }
}

/// A reusable check: SQL over the facts returning `resource, status, reason` (+ `evidence_id`, `severity`).
public struct Check: Sendable, Hashable {
    public var id: String
    public var title: String
    public var description: String
    /// Sources whose facts the SQL reads; `store` means the store's own tables (always present).
    public var sources: [String]
    public var severity: String
    public var inputs: [CheckInput]
    public var sql: String
    public var remediation: String
    public var tests: [CheckTestCase]
    public var file: String
    public var location: String

    public static let severities = ["critical", "high", "medium", "low", "info"]
    public static let statuses = ["pass", "fail", "error", "skip", "manual", "info"]
    /// The pseudo-source of checks that read only the store's own tables.
    public static let storeSource = "store"

    public static func == (a: Check, b: Check) -> Bool { a.id == b.id && a.file == b.file }
    public func hash(into h: inout Hasher) { h.combine(id); h.combine(file) }
}

/// The loaded catalog: framework, controls in catalog order, checks by id, and the digest of every file.
public struct Catalog: Sendable {
    public var directory: URL
    public var framework: Framework
    public var controls: [Control]
    public var checks: [String: Check]
    /// SHA-256 over every file read (relative path and bytes), recorded with each evaluation.
    public var sha256: String
    /// How the directory was found (`--controls`, `$VOUCH_CONTROLS`, …), for messages.
    public var origin: String
    /// The commented starter profile `vouch init` writes (`starter_profile` in framework.yaml).
    public var starterProfile: URL?

    public func control(_ id: String) -> Control? { controls.first { $0.id == id } }

    /// Checks in a stable order (by id).
    public var sortedChecks: [Check] { checks.values.sorted { $0.id < $1.id } }

    /// Control ids that list a check.
    public func controls(using checkID: String) -> [String] {
        controls.filter { $0.checks.contains(checkID) }.map(\.id)
    }
}
