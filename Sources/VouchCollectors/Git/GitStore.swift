import Foundation
import GRDB
import VouchCore

/// The capture-dependent state of a commit (a `git_commit_state` row).
struct GitCommitState: Equatable, Sendable {
    var present: Bool
    var firstParentMain: Bool
    var touchesInfra: Bool
    var signature: GitSignatureVerdict
}

/// What the newest earlier capture recorded for a repository.
struct GitPreviousCapture {
    var captureID: Int64
    var tips: [String]
    var mainHead: String?
    var configSHA256: String
    var trustSHA256: String?
    var complete: Bool
    var commitCount: Int64
}

/// The prepared inserts of one repository's run (bound through SQLite's C API: see `BulkInsert`).
final class GitInserts {
    let sink: CaptureSink
    var db: Database { sink.db }
    init(_ sink: CaptureSink) { self.sink = sink }
    lazy var state = Result { try BulkInsert(db, sql: """
        INSERT INTO git_commit_state(capture_id, repo, commit_id, present, first_parent_main, touches_infra,
                                     signature_status, signer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """) }
    /// Commit rows are the bulk of a first capture: their digest is framed as they go in (see `TableDigest`).
    lazy var commit = Result { try sink.digestingInsert(table: "git_commit_row", columns: [
        "capture_id", "evidence_id", "repo", "id", "tree", "parents", "parent_count",
        "author_name", "author_email", "author_time", "author_epoch", "author_tz",
        "committer_name", "committer_email", "committer_time", "committer_epoch", "committer_tz",
        "summary", "message", "message_sha256", "encoding", "signature_type", "trailers", "review_count",
        "is_merge", "pr_number", "pr_source", "merged_author_email", "merger_differs", "shallow", "change_count", "additions", "deletions",
        "changes_read", "first_parent_main", "touches_infra", "signature_status", "signer",
    ]) }
    lazy var change = Result { try BulkInsert(db, sql: """
        INSERT INTO git_change_row(capture_id, repo, commit_id, path, status, old_path, additions, deletions, binary,
                                   too_large, old_mode, new_mode, old_blob, new_blob, similarity)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """) }
}

/// Reads and writes the git fact tables inside the capture's transaction.
struct GitStore {
    let db: Database
    let captureID: Int64
    let repo: String
    var evidenceID: Int64?
    let inserts: GitInserts

    init(sink: CaptureSink, repo: String) {
        db = sink.db
        captureID = sink.captureID
        self.repo = repo
        inserts = GitInserts(sink)
    }

    func previous() throws -> GitPreviousCapture? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT capture_id, tips, main_head, config_sha256, trust_sha256, complete, commit_count FROM git_capture_repo
            WHERE repo = ? AND capture_id < ? ORDER BY capture_id DESC LIMIT 1
            """, arguments: [repo, captureID]) else { return nil }
        let tips = (try? JSONValue.parse(Data((row[1] as String).utf8)))?.arrayValue?.compactMap(\.stringValue) ?? []
        return GitPreviousCapture(captureID: row[0], tips: tips, mainHead: row[2], configSHA256: row[3], trustSHA256: row[4],
                                  complete: (row[5] as Int64) == 1, commitCount: row[6])
    }

    func alreadyCollected() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM git_capture_repo WHERE capture_id = ? AND repo = ?)",
                          arguments: [captureID, repo]) ?? false
    }

    func hasCommits() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM git_commit_row WHERE repo = ?)", arguments: [repo]) ?? false
    }

    func isStored(_ id: String) throws -> Bool {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM git_commit_row WHERE repo = ? AND id = ?"),
                           arguments: [repo, id]) != nil
    }

    /// The newest state of one commit before this capture: its newest state row, else the state
    /// its commit row was first read with.
    func state(of id: String) throws -> GitCommitState? {
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT present, first_parent_main, touches_infra, signature_status, signer FROM git_commit_state
            WHERE repo = ? AND commit_id = ? AND capture_id < ? ORDER BY capture_id DESC LIMIT 1
            """), arguments: [repo, id, captureID])
        if let row { return Self.state(row) }
        let first = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT 1, first_parent_main, touches_infra, signature_status, signer FROM git_commit_row
            WHERE repo = ? AND id = ? AND capture_id < ? AND first_parent_main IS NOT NULL
            """), arguments: [repo, id, captureID])
        return first.map { Self.state($0) }
    }

    /// The newest state of every commit of the repository before this capture.
    func allStates() throws -> [String: GitCommitState] {
        var out: [String: GitCommitState] = [:]
        let first = try Row.fetchCursor(db, sql: """
            SELECT id, 1, first_parent_main, touches_infra, signature_status, signer FROM git_commit_row
            WHERE repo = ? AND capture_id < ? AND first_parent_main IS NOT NULL
            """, arguments: [repo, captureID])
        while let r = try first.next() { out[r[0]] = Self.state(r, from: 1) }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT commit_id, present, first_parent_main, touches_infra, signature_status, signer FROM git_commit_state
            WHERE repo = ? AND capture_id < ? ORDER BY capture_id
            """, arguments: [repo, captureID])
        while let r = try rows.next() { out[r[0]] = Self.state(r, from: 1) }
        return out
    }

    /// A state from five columns: present, first_parent_main, touches_infra, signature_status, signer.
    private static func state(_ r: Row, from i: Int = 0) -> GitCommitState {
        GitCommitState(present: (r[i] as Int64) == 1, firstParentMain: (r[i + 1] as Int64) == 1, touchesInfra: (r[i + 2] as Int64) == 1,
                       signature: GitSignatureVerdict(status: r[i + 3], signer: r[i + 4]))
    }

    /// Stored commits with their signature type (for re-verification under new trust).
    func signedCommits() throws -> [String: String] {
        var out: [String: String] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, signature_type FROM git_commit_row WHERE repo = ? AND signature_type <> 'none'",
                                       arguments: [repo])
        while let r = try rows.next() { out[r[0]] = r[1] }
        return out
    }

    /// Every stored change path (and old path) by commit, for re-applying changed path filters.
    func changePaths() throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT commit_id, path, old_path FROM git_change_row WHERE repo = ?", arguments: [repo])
        while let r = try rows.next() {
            out[r[0], default: []].append(r[1])
            if let old: String = r[2] { out[r[0], default: []].append(old) }
        }
        return out
    }

    func insertState(_ id: String, _ s: GitCommitState) throws {
        try inserts.state.get().run { v in
            v.add(captureID); v.add(repo); v.add(id); v.add(s.present); v.add(s.firstParentMain); v.add(s.touchesInfra)
            v.add(s.signature.status); v.add(s.signature.signer)
        }
    }

    /// Writes a commit's content with the state it is first read with (no state row needed).
    func insertCommit(_ f: GitCommitFacts, state: GitCommitState) throws {
        let adds = f.changes?.reduce(Int64(0)) { $0 + ($1.additions ?? 0) }
        let dels = f.changes?.reduce(Int64(0)) { $0 + ($1.deletions ?? 0) }
        try inserts.commit.get().run { v in
            v.add(captureID); v.add(evidenceID); v.add(repo); v.add(f.id); v.add(f.tree); v.add(f.parents.joined(separator: " "))
            v.add(f.parents.count)
            v.add(f.author.name); v.add(f.author.email); v.add(f.author.time); v.add(f.author.epoch); v.add(f.author.tz)
            v.add(f.committer.name); v.add(f.committer.email); v.add(f.committer.time); v.add(f.committer.epoch); v.add(f.committer.tz)
            v.add(f.summary); v.add(f.message); v.add(f.messageSHA256); v.add(f.encoding); v.add(f.signatureType); v.add(f.trailers)
            v.add(f.reviewCount)
            v.add(f.isMerge); v.add(f.pullRequest?.number); v.add(f.pullRequest?.source); v.add(f.mergedAuthorEmail); v.add(f.mergerDiffers)
            v.add(f.shallow); v.add(f.changes?.count); v.add(adds); v.add(dels); v.add(f.changes != nil)
            v.add(state.firstParentMain); v.add(state.touchesInfra); v.add(state.signature.status); v.add(state.signature.signer)
        }
        guard let changes = f.changes, !changes.isEmpty else { return }
        let insert = try inserts.change.get()
        for c in changes {
            try insert.run { v in
                v.add(captureID); v.add(repo); v.add(f.id); v.add(c.path); v.add(c.status); v.add(c.oldPath); v.add(c.additions)
                v.add(c.deletions); v.add(c.binary); v.add(c.tooLarge); v.add(c.oldMode); v.add(c.newMode); v.add(c.oldBlob)
                v.add(c.newBlob); v.add(c.similarity)
            }
        }
    }

    func insertRef(_ r: GitRefFacts) throws {
        try db.cachedStatement(sql: """
            INSERT INTO git_ref(capture_id, evidence_id, repo, name, target, type, peeled, symbolic) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [captureID, evidenceID, repo, r.name, r.target, r.type, r.peeled, r.symbolic])
    }

    func insertPath(_ prefix: String) throws {
        try db.cachedStatement(sql: "INSERT INTO git_capture_path(capture_id, repo, prefix) VALUES (?, ?, ?)")
            .execute(arguments: [captureID, repo, prefix])
    }
}
