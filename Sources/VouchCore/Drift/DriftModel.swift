import Foundation

/// What changed between two captures: items, check results, controls, and declared vs running Talos.
///
/// Everything in it comes from the store, where secrets are already fingerprints:
/// a drift report can show old and new values without ever holding a secret.
public struct DriftResult: Sendable, Hashable {
    /// The older capture (nil when there is nothing to compare against, e.g. a first CI run).
    public var from: CaptureRef?
    public var to: CaptureRef
    /// Items added, removed and changed, ordered by kind, subject and target.
    public var items: [ItemChange]
    /// Check results whose status changed, ordered by check id and resource.
    public var checks: [CheckTransition]
    /// Controls the changed checks touch, or whose status changed.
    public var controls: [ControlChange]
    /// Settings where one node's declared Talos config differs from what it runs (in `to`).
    public var talos: [TalosDivergence]
    /// Checks failing or in error in `to` (whether or not they changed): what `--fail-on failures` reads.
    public var failing: [CheckState]
    /// Why a part of the comparison could not be made (e.g. a capture was not evaluated).
    public var notes: [String]

    public init(from: CaptureRef?, to: CaptureRef, items: [ItemChange] = [], checks: [CheckTransition] = [],
                controls: [ControlChange] = [], talos: [TalosDivergence] = [], failing: [CheckState] = [], notes: [String] = []) {
        self.from = from
        self.to = to
        self.items = items
        self.checks = checks
        self.controls = controls
        self.talos = talos
        self.failing = failing
        self.notes = notes
    }

    /// Whether anything drifted (exit 1 for `vouch drift`).
    public var hasChanges: Bool { !items.isEmpty || !checks.isEmpty || !talos.isEmpty || controls.contains { $0.statusChanged } }

    public var regressions: [CheckTransition] { checks.filter { $0.kind == .regression } }
    public var fixes: [CheckTransition] { checks.filter { $0.kind == .fix } }
    public var newFailures: [CheckTransition] { checks.filter { $0.kind == .newFailure } }
    public func items(_ change: ItemChange.Change) -> [ItemChange] { items.filter { $0.change == change } }
}

/// One capture as a report names it.
public struct CaptureRef: Sendable, Hashable {
    public var id: Int64
    public var startedAt: String
    public var seal: String
    /// The store file, when it is not the one the report is about (a CI baseline).
    public var store: String?
    /// The newest evaluation of the capture, when it was evaluated.
    public var evaluationID: Int64?

    public init(id: Int64, startedAt: String, seal: String, store: String? = nil, evaluationID: Int64? = nil) {
        self.id = id
        self.startedAt = startedAt
        self.seal = seal
        self.store = store
        self.evaluationID = evaluationID
    }
}

/// An item added, removed or changed, matched by (kind, subject).
public struct ItemChange: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable, CaseIterable { case added, removed, changed }
    public var change: Change
    public var kind: String
    public var subject: String
    public var source: String
    public var target: String
    /// Where the item came from (the newer side's, for changes).
    public var origin: String
    /// Field-level differences (changed items only), in path order.
    public var fields: [FieldChange]

    public init(change: Change, kind: String, subject: String, source: String, target: String, origin: String,
                fields: [FieldChange] = []) {
        self.change = change
        self.kind = kind
        self.subject = subject
        self.source = source
        self.target = target
        self.origin = origin
        self.fields = fields
    }
}

/// One field that differs. `path` is a JSON path into the item's data (`$.a.b[0]`), or one
/// of the item columns `blob_sha256`, `status`, `origin`. nil means absent on that side.
public struct FieldChange: Sendable, Hashable {
    public var path: String
    public var old: JSONValue?
    public var new: JSONValue?

    public init(path: String, old: JSONValue?, new: JSONValue?) {
        self.path = path
        self.old = old
        self.new = new
    }
}

/// A check result (check, resource) whose status differs between the two evaluations.
public struct CheckTransition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// pass → fail or error.
        case regression
        /// fail or error → pass.
        case fix
        /// not there before, fail or error now.
        case newFailure = "new_failure"
        /// Any other change of status (e.g. pass → skip, a failing result that went away).
        case changed
    }
    public var kind: Kind
    public var checkID: String
    public var resource: String
    public var oldStatus: String?
    public var newStatus: String?
    /// The newer reason (the older one when the result went away).
    public var reason: String
    public var severity: String?
    /// Controls listing this check, sorted.
    public var controls: [String]

    public init(kind: Kind, checkID: String, resource: String, oldStatus: String?, newStatus: String?, reason: String,
                severity: String?, controls: [String]) {
        self.kind = kind
        self.checkID = checkID
        self.resource = resource
        self.oldStatus = oldStatus
        self.newStatus = newStatus
        self.reason = reason
        self.severity = severity
        self.controls = controls
    }
}

/// A control touched by changed checks, or whose derived status changed.
public struct ControlChange: Sendable, Hashable {
    public var controlID: String
    public var title: String
    public var oldStatus: String?
    public var newStatus: String?
    /// The changed checks that feed this control, sorted.
    public var checks: [String]
    public var statusChanged: Bool { oldStatus != newStatus }

    public init(controlID: String, title: String, oldStatus: String?, newStatus: String?, checks: [String]) {
        self.controlID = controlID
        self.title = title
        self.oldStatus = oldStatus
        self.newStatus = newStatus
        self.checks = checks
    }
}

/// A check result as it stands in the newer capture.
public struct CheckState: Sendable, Hashable {
    public var checkID: String
    public var resource: String
    public var status: String
    public var reason: String
    public var severity: String?
    public var controls: [String]

    public init(checkID: String, resource: String, status: String, reason: String, severity: String?, controls: [String]) {
        self.checkID = checkID
        self.resource = resource
        self.status = status
        self.reason = reason
        self.severity = severity
        self.controls = controls
    }
}

/// One Talos setting whose declared value (config files) and running value (`talosctl`) differ on a node.
public struct TalosDivergence: Sendable, Hashable {
    public var node: String
    public var document: String
    public var path: String
    /// The declared value as JSON text (nil: not declared).
    public var declared: JSONValue?
    /// The running value (nil: not set on the node).
    public var running: JSONValue?
    public var declaredOrigin: String
    public var runningOrigin: String

    public init(node: String, document: String, path: String, declared: JSONValue?, running: JSONValue?,
                declaredOrigin: String, runningOrigin: String) {
        self.node = node
        self.document = document
        self.path = path
        self.declared = declared
        self.running = running
        self.declaredOrigin = declaredOrigin
        self.runningOrigin = runningOrigin
    }
}
