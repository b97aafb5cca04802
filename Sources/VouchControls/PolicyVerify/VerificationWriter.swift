import Foundation
import GRDB
import GRDBSQLite
import VouchCore

/// Builds `policy_verification` rows (millions for a large cluster) in batches of `batch` rows, in
/// the compact layout the view decodes (Schema+PolicyVerification.swift): codes for the small
/// vocabularies, each endpoint and each list of declaring policies once per capture. The texts of a
/// batch are written into one buffer, to be bound in place by `BatchInserter`.
///
/// `run` builds on a second thread while the calling thread inserts the finished batches: the
/// comparison and SQLite's inserts overlap.
struct VerificationWriter {
    /// Codes in `Schema.policyVerdicts` order.
    enum Verdict: Int, CaseIterable {
        case match, unexpected, missing, mismatch, implicit, unverified
        var name: String { Schema.policyVerdicts[rawValue] }
    }

    /// What the declared rules imply for an entry; codes in `Schema.policyExpectations` order.
    enum Expected: Int64 {
        case allow, deny, allowProxy
    }

    /// Rows per INSERT statement (12 parameters each).
    static let batch = 64

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A text in a batch's buffer, as a byte range; nil = NULL.
    typealias Span = (start: Int, end: Int)

    struct Pending: Sendable {
        var endpoint: Int64
        var direction, identity, proto, port, prefix, expected, enforced, policies: Int64?
        var verdict: Int64
        var reason: Span?
    }

    struct NewEndpoint: Sendable {
        var ref: Int64
        var host, namespace, pod: Span?
        var endpointID: Int64?
    }

    struct Batch: Sendable {
        var text: [UInt8] = []
        /// Endpoints and policy lists first seen in this batch, inserted before its rows.
        var endpoints: [NewEndpoint] = []
        var policies: [(ref: Int64, text: Span)] = []
        var rows: [Pending] = []
        var isEmpty: Bool { rows.isEmpty && endpoints.isEmpty && policies.isEmpty }
    }

    private(set) var counts = [Int](repeating: 0, count: Verdict.allCases.count)
    private var current = Batch()
    private let emit: (Batch) throws -> Void
    /// The current endpoint's ref; -1 until the first endpoint (or the first row outside any).
    private var endpointRef: Int64 = -1
    private var endpointCount: Int64 = 0
    private var policyRefs: [String: Int64] = [:]
    private var lastPolicies: (text: String, ref: Int64)?

    init(emit: @escaping (Batch) throws -> Void) {
        self.emit = emit
        current.text.reserveCapacity(Self.batch * 64)
        current.rows.reserveCapacity(Self.batch)
    }

    /// Builds the rows with `body` on a second thread and inserts them here; returns the counts by verdict.
    static func run(_ db: Database, captureID: Int64, body: @escaping @Sendable (inout VerificationWriter) throws -> Void) throws -> [Int] {
        let channel = BatchChannel(capacity: 8)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global(qos: .userInitiated).async {
            defer { done.signal() }
            var writer = VerificationWriter { batch in try channel.put(batch) }
            do {
                try body(&writer)
                try writer.flush()
                channel.finish(counts: writer.counts)
            } catch {
                channel.fail(error)
            }
        }
        defer {
            channel.cancel()
            done.wait()
        }
        var inserter = BatchInserter(db, captureID: captureID)
        while let batch = try channel.take() {
            try inserter.insert(batch)
        }
        return channel.counts
    }

    /// The endpoint of the rows that follow (rows before the first call have none: all its columns NULL).
    mutating func endpoint(host: String?, endpointID: Int64?, namespace: String?, pod: String?) {
        endpointRef = endpointCount
        endpointCount += 1
        current.endpoints.append(NewEndpoint(ref: endpointRef, host: put(host), namespace: put(namespace), pod: put(pod),
                                             endpointID: endpointID))
    }

    /// One row: a policy map key (`entry`), or only a direction for a rule-level row.
    mutating func row(direction: String?, entry e: PolicyInputs.Entry?, expected: Expected?, enforced v: PolicyInputs.Enforced?,
                      verdict: Verdict, policies: String?, reason: String?) throws {
        counts[verdict.rawValue] += 1
        if endpointRef < 0 { endpoint(host: nil, endpointID: nil, namespace: nil, pod: nil) }
        // Rule directions come from the netpol source, which writes only these two.
        let dir: Int64? = e.map { Int64($0.dir) } ?? direction.flatMap { $0 == "ingress" ? 1 : ($0 == "egress" ? 0 : nil) }
        current.rows.append(Pending(endpoint: endpointRef, direction: dir, identity: e?.identity, proto: e?.proto, port: e?.port,
                                    prefix: e?.prefix, expected: expected?.rawValue, enforced: v.map { $0.deny ? -1 : $0.proxyPort },
                                    policies: policies.map { policyRef($0) }, verdict: Int64(verdict.rawValue), reason: put(reason)))
        if current.rows.count == Self.batch { try flush() }
    }

    /// The ref of a list of declaring policies, registered on first sight. Consecutive rows mostly
    /// share one list (the same string, compared without hashing).
    private mutating func policyRef(_ text: String) -> Int64 {
        if let last = lastPolicies, last.text == text { return last.ref }
        let ref: Int64
        if let known = policyRefs[text] {
            ref = known
        } else {
            ref = Int64(policyRefs.count)
            policyRefs[text] = ref
            current.policies.append((ref, put(text)!))
        }
        lastPolicies = (text, ref)
        return ref
    }

    private mutating func put(_ t: String?) -> Span? {
        guard let t else { return nil }
        let start = current.text.count
        if t.utf8.withContiguousStorageIfAvailable({ current.text.append(contentsOf: $0) }) == nil { current.text.append(contentsOf: t.utf8) }
        return (start, current.text.count)
    }

    /// Hands over the pending rows; called once more after the last row.
    mutating func flush() throws {
        guard !current.isEmpty else { return }
        var next = Batch()
        next.text.reserveCapacity(Self.batch * 64)
        next.rows.reserveCapacity(Self.batch)
        swap(&next, &current)
        try emit(next)
    }
}

/// Inserts batches: new endpoints and policy lists one by one, rows with multi-row INSERTs; texts
/// are bound in place from the batch's buffer.
struct BatchInserter {
    private let db: Database
    private let captureID: Int64
    private var full: Statement?
    private var endpointStatement: Statement?
    private var policiesStatement: Statement?

    init(_ db: Database, captureID: Int64) {
        self.db = db
        self.captureID = captureID
    }

    private static func sql(rows: Int) -> String {
        """
        INSERT INTO policy_verification_row(capture_id, endpoint_ref, direction, identity, protocol, port, port_prefix_len,
                                            expected, enforced, verdict, policies_ref, reason)
        VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        """
    }

    mutating func insert(_ batch: VerificationWriter.Batch) throws {
        if endpointStatement == nil {
            endpointStatement = try db.makeStatement(sql: """
                INSERT INTO policy_verification_endpoint(capture_id, ref, host, endpoint_id, namespace, pod) VALUES (?, ?, ?, ?, ?, ?)
                """)
            policiesStatement = try db.makeStatement(sql: "INSERT INTO policy_verification_policies(capture_id, ref, policies) VALUES (?, ?, ?)")
        }
        let statement: Statement?
        if batch.rows.isEmpty {
            statement = nil
        } else if batch.rows.count == VerificationWriter.batch, let full {
            statement = full
        } else {
            statement = try db.makeStatement(sql: Self.sql(rows: batch.rows.count))
            if batch.rows.count == VerificationWriter.batch { full = statement }
        }
        let db = self.db, captureID = self.captureID
        // SQLITE_STATIC: the texts stay valid until each step is done, and are unbound after it.
        try batch.text.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            func run(_ statement: Statement, _ bind: (OpaquePointer) throws -> Void) throws {
                let s = statement.sqliteStatement
                func check(_ rc: CInt) throws {
                    guard rc == SQLITE_OK || rc == SQLITE_DONE else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) },
                                            sql: statement.sql)
                    }
                }
                do {
                    try bind(s)
                } catch {
                    sqlite3_clear_bindings(s)
                    throw error
                }
                let rc = sqlite3_step(s)
                sqlite3_reset(s)
                sqlite3_clear_bindings(s)
                try check(rc)
            }
            func bind(_ s: OpaquePointer, _ i: CInt, _ span: VerificationWriter.Span?) throws {
                let rc: CInt
                if let span, span.end > span.start, let base {
                    rc = sqlite3_bind_text(s, i, base + span.start, CInt(span.end - span.start), nil)
                } else if span != nil {
                    rc = sqlite3_bind_text(s, i, "", 0, VerificationWriter.transient)  // empty: SQLite copies it
                } else {
                    rc = sqlite3_bind_null(s, i)
                }
                guard rc == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "binding parameter \(i)") }
            }
            func bind(_ s: OpaquePointer, _ i: CInt, _ value: Int64?) throws {
                let rc = value.map { sqlite3_bind_int64(s, i, $0) } ?? sqlite3_bind_null(s, i)
                guard rc == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "binding parameter \(i)") }
            }
            for e in batch.endpoints {
                try run(endpointStatement!) { s in
                    try bind(s, 1, captureID); try bind(s, 2, e.ref); try bind(s, 3, e.host)
                    try bind(s, 4, e.endpointID); try bind(s, 5, e.namespace); try bind(s, 6, e.pod)
                }
            }
            for p in batch.policies {
                try run(policiesStatement!) { s in try bind(s, 1, captureID); try bind(s, 2, p.ref); try bind(s, 3, p.text) }
            }
            guard let statement else { return }
            try run(statement) { s in
                for (n, r) in batch.rows.enumerated() {
                    let p = CInt(n * 12)
                    try bind(s, p + 1, captureID)
                    try bind(s, p + 2, r.endpoint)
                    try bind(s, p + 3, r.direction)
                    try bind(s, p + 4, r.identity)
                    try bind(s, p + 5, r.proto)
                    try bind(s, p + 6, r.port)
                    try bind(s, p + 7, r.prefix)
                    try bind(s, p + 8, r.expected)
                    try bind(s, p + 9, r.enforced)
                    try bind(s, p + 10, r.verdict)
                    try bind(s, p + 11, r.policies)
                    try bind(s, p + 12, r.reason)
                }
            }
        }
    }
}

/// A bounded queue of batches from the building thread to the inserting one.
private final class BatchChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [VerificationWriter.Batch] = []
    private let capacity: Int
    private var finished = false
    private var cancelled = false
    private var error: (any Error)?
    private(set) var counts: [Int] = []

    struct Cancelled: Error {}

    init(capacity: Int) { self.capacity = capacity }

    func put(_ batch: VerificationWriter.Batch) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        queue.append(batch)
        condition.broadcast()
    }

    /// The next batch, nil after the last; rethrows the builder's error.
    func take() throws -> VerificationWriter.Batch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished && error == nil { condition.wait() }
        if let error { throw error }
        if queue.isEmpty { return nil }
        let batch = queue.removeFirst()
        condition.broadcast()
        return batch
    }

    func finish(counts: [Int]) {
        condition.lock()
        self.counts = counts
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: any Error) {
        condition.lock()
        if !(error is Cancelled) { self.error = error }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The inserting side stopped (done, or failed): the builder stops at its next batch.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
