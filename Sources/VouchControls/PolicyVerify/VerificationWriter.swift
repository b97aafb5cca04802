import Foundation
import GRDB
import GRDBSQLite
import VouchCore

/// Builds `policy_verification` rows (millions for a large cluster) in batches of `batch` rows:
/// every text of a batch (the one-line `entry` included) is written into one buffer, to be bound
/// in place by `BatchInserter`.
///
/// `run` builds on a second thread while the calling thread inserts the finished batches: the
/// comparison and SQLite's inserts overlap.
struct VerificationWriter {
    enum Verdict: Int, CaseIterable {
        case match, unexpected, missing, mismatch, implicit, unverified
        var name: String {
            switch self {
            case .match: return "match"
            case .unexpected: return "unexpected"
            case .missing: return "missing"
            case .mismatch: return "mismatch"
            case .implicit: return "implicit"
            case .unverified: return "unverified"
            }
        }
    }

    /// Rows per INSERT statement (16 parameters each).
    static let batch = 64

    /// A text in a batch's buffer, as a byte range; nil = NULL.
    typealias Span = (start: Int, end: Int)

    struct Pending: Sendable {
        var host, namespace, pod, direction, expected, enforced, verdict, policies, reason, entry: Span?
        var endpointID, identity, proto, port, prefix: Int64?
    }

    struct Batch: Sendable {
        var text: [UInt8] = []
        var rows: [Pending] = []
    }

    private(set) var counts = [Int](repeating: 0, count: Verdict.allCases.count)
    private var current = Batch()
    private let emit: (Batch) throws -> Void
    private var host, namespace, pod: String?
    private var endpointID: Int64?
    /// The endpoint's texts in the current batch, once per batch.
    private var endpointSpans: (host: Span?, namespace: Span?, pod: Span?)?

    init(emit: @escaping (Batch) throws -> Void) {
        self.emit = emit
        current.text.reserveCapacity(Self.batch * 512)
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

    /// The endpoint columns of the rows that follow (all NULL until the first call).
    mutating func endpoint(host: String?, endpointID: Int64?, namespace: String?, pod: String?) {
        self.host = host
        self.endpointID = endpointID
        self.namespace = namespace
        self.pod = pod
        endpointSpans = nil
    }

    /// One row: a policy map key (`entry`), or only a direction for a rule-level row.
    mutating func row(direction: String?, entry e: PolicyInputs.Entry?, expected: String?, enforced v: PolicyInputs.Enforced?,
                      verdict: Verdict, policies: String?, reason: String?) throws {
        counts[verdict.rawValue] += 1
        func put(_ t: String?) -> Span? {
            guard let t else { return nil }
            let start = current.text.count
            Self.append(&current.text, t)
            return (start, current.text.count)
        }
        func putEnforced(_ v: PolicyInputs.Enforced) -> Span {
            let start = current.text.count
            if v.deny {
                Self.append(&current.text, "deny")
            } else if v.proxyPort != 0 {
                Self.append(&current.text, "allow+proxy:")
                Self.append(&current.text, v.proxyPort)
            } else {
                Self.append(&current.text, "allow")
            }
            return (start, current.text.count)
        }
        let dir = e?.direction ?? direction
        let ep = endpointSpans ?? (put(host), put(namespace), put(pod))
        endpointSpans = ep
        var r = Pending(host: ep.host, namespace: ep.namespace, pod: ep.pod, direction: put(dir), expected: put(expected),
                        enforced: v.map(putEnforced), verdict: put(verdict.name), policies: put(policies), reason: put(reason), entry: nil,
                        endpointID: endpointID, identity: e?.identity, proto: e?.proto, port: e?.port, prefix: e?.prefix)
        // The one-line description (the check quotes it as the reason):
        // `DIRECTION identity ID PROTO/PORT[/PREFIX]: VERDICT (declared EXPECTED, kernel ENFORCED)`, `?`/`any`/`nothing` when unset.
        let start = current.text.count
        func add(_ t: String) { Self.append(&current.text, t) }
        add(dir ?? "?")
        add(" identity ")
        if let id = e?.identity { Self.append(&current.text, id) } else { add("?") }
        add(" ")
        add(e.map { PeerResolver.protocolName($0.proto) } ?? "?")
        add("/")
        if let port = e?.port, port != 0 {
            Self.append(&current.text, port)
            if let prefix = e?.prefix, prefix < 16 { add("/"); Self.append(&current.text, prefix) }
        } else {
            add("any")
        }
        add(": ")
        add(verdict.name)
        add(" (declared ")
        add(expected ?? "nothing")
        add(", kernel ")
        if let v { _ = putEnforced(v) } else { add("nothing") }
        add(")")
        r.entry = (start, current.text.count)
        current.rows.append(r)
        if current.rows.count == Self.batch { try flush() }
    }

    /// Hands over the pending rows; called once more after the last row.
    mutating func flush() throws {
        guard !current.rows.isEmpty else { return }
        var next = Batch()
        next.text.reserveCapacity(Self.batch * 512)
        next.rows.reserveCapacity(Self.batch)
        swap(&next, &current)
        endpointSpans = nil
        try emit(next)
    }

    static func append(_ buf: inout [UInt8], _ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ buf.append(contentsOf: $0) }) == nil { buf.append(contentsOf: text.utf8) }
    }

    static func append(_ buf: inout [UInt8], _ n: Int64) {
        if n < 0 { buf.append(UInt8(ascii: "-")) }
        var v = n.magnitude
        let start = buf.count
        repeat { buf.append(UInt8(ascii: "0") + UInt8(v % 10)); v /= 10 } while v > 0
        buf[start...].reverse()
    }
}

/// Inserts batches with multi-row INSERTs, the texts bound in place from the batch's buffer.
struct BatchInserter {
    private let db: Database
    private let captureID: Int64
    private var full: Statement?

    init(_ db: Database, captureID: Int64) {
        self.db = db
        self.captureID = captureID
    }

    private static func sql(rows: Int) -> String {
        """
        INSERT INTO policy_verification(capture_id, host, endpoint_id, namespace, pod, direction, identity, protocol, port,
                                        port_prefix_len, expected, enforced, verdict, policies, reason, entry)
        VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        """
    }

    mutating func insert(_ batch: VerificationWriter.Batch) throws {
        guard !batch.rows.isEmpty else { return }
        let statement: Statement
        if batch.rows.count == VerificationWriter.batch, let full {
            statement = full
        } else {
            statement = try db.makeStatement(sql: Self.sql(rows: batch.rows.count))
            if batch.rows.count == VerificationWriter.batch { full = statement }
        }
        let s = statement.sqliteStatement
        let db = self.db
        func check(_ rc: CInt) throws {
            guard rc == SQLITE_OK || rc == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) },
                                    sql: statement.sql)
            }
        }
        // SQLITE_STATIC: the texts stay valid until the step is done, and are unbound after it.
        let rc: CInt = try batch.text.withUnsafeBufferPointer { buf in
            let base = UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            func bind(_ i: CInt, _ span: VerificationWriter.Span?) throws {
                guard let span else { return try check(sqlite3_bind_null(s, i)) }
                try check(sqlite3_bind_text(s, i, base + span.start, CInt(span.end - span.start), nil))
            }
            func bind(_ i: CInt, _ value: Int64?) throws {
                try check(value.map { sqlite3_bind_int64(s, i, $0) } ?? sqlite3_bind_null(s, i))
            }
            for (n, r) in batch.rows.enumerated() {
                let p = CInt(n * 16)
                try check(sqlite3_bind_int64(s, p + 1, captureID))
                try bind(p + 2, r.host)
                try bind(p + 3, r.endpointID)
                try bind(p + 4, r.namespace)
                try bind(p + 5, r.pod)
                try bind(p + 6, r.direction)
                try bind(p + 7, r.identity)
                try bind(p + 8, r.proto)
                try bind(p + 9, r.port)
                try bind(p + 10, r.prefix)
                try bind(p + 11, r.expected)
                try bind(p + 12, r.enforced)
                try bind(p + 13, r.verdict)
                try bind(p + 14, r.policies)
                try bind(p + 15, r.reason)
                try bind(p + 16, r.entry)
            }
            let rc = sqlite3_step(s)
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
            return rc
        }
        try check(rc)
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
