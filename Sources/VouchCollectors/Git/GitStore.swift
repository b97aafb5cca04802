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

/// The prepared inserts of one repository's run (bound through SQLite's C API: see `RawInsert`).
final class GitInserts {
    let db: Database
    init(_ db: Database) { self.db = db }
    lazy var state = Result { try RawInsert(db, sql: """
        INSERT INTO git_commit_state(capture_id, repo, commit_id, present, first_parent_main, touches_infra,
                                     signature_status, signer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """) }
    lazy var commit = Result { try RawInsert(db, sql: """
        INSERT INTO git_commit_row(capture_id, evidence_id, repo, id, tree, parents, parent_count,
          author_name, author_email, author_time, author_epoch, author_tz,
          committer_name, committer_email, committer_time, committer_epoch, committer_tz,
          summary, message, message_sha256, encoding, signature_type, trailers, review_count,
          is_merge, pr_number, pr_source, merged_author_email, merger_differs, shallow, change_count, additions, deletions,
          changes_read)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """) }
    lazy var change = Result { try RawInsert(db, sql: """
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

    init(db: Database, captureID: Int64, repo: String) {
        self.db = db
        self.captureID = captureID
        self.repo = repo
        inserts = GitInserts(db)
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

    /// The newest state of one commit before this capture.
    func state(of id: String) throws -> GitCommitState? {
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT present, first_parent_main, touches_infra, signature_status, signer FROM git_commit_state
            WHERE repo = ? AND commit_id = ? ORDER BY capture_id DESC LIMIT 1
            """), arguments: [repo, id])
        return row.map(Self.state)
    }

    /// The newest state of every commit of the repository before this capture.
    func allStates() throws -> [String: GitCommitState] {
        var out: [String: GitCommitState] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT commit_id, present, first_parent_main, touches_infra, signature_status, signer FROM git_commit_state
            WHERE repo = ? AND capture_id < ? ORDER BY capture_id
            """, arguments: [repo, captureID])
        while let r = try rows.next() {
            out[r[0]] = GitCommitState(present: (r[1] as Int64) == 1, firstParentMain: (r[2] as Int64) == 1,
                                       touchesInfra: (r[3] as Int64) == 1, signature: GitSignatureVerdict(status: r[4], signer: r[5]))
        }
        return out
    }

    private static func state(_ r: Row) -> GitCommitState {
        GitCommitState(present: (r[0] as Int64) == 1, firstParentMain: (r[1] as Int64) == 1, touchesInfra: (r[2] as Int64) == 1,
                       signature: GitSignatureVerdict(status: r[3], signer: r[4]))
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
        let q = try inserts.state.get()
        q.bind(1, captureID); q.bind(2, repo); q.bind(3, id); q.bind(4, s.present); q.bind(5, s.firstParentMain)
        q.bind(6, s.touchesInfra); q.bind(7, s.signature.status); q.bind(8, s.signature.signer)
        try q.execute()
    }

    func insertCommit(_ f: GitCommitFacts) throws {
        let adds = f.changes?.reduce(Int64(0)) { $0 + ($1.additions ?? 0) }
        let dels = f.changes?.reduce(Int64(0)) { $0 + ($1.deletions ?? 0) }
        let q = try inserts.commit.get()
        q.bind(1, captureID); q.bind(2, evidenceID); q.bind(3, repo); q.bind(4, f.id); q.bind(5, f.tree)
        q.bind(6, f.parents.joined(separator: " ")); q.bind(7, f.parents.count)
        q.bind(8, f.author.name); q.bind(9, f.author.email); q.bind(10, f.author.time); q.bind(11, f.author.epoch); q.bind(12, f.author.tz)
        q.bind(13, f.committer.name); q.bind(14, f.committer.email); q.bind(15, f.committer.time); q.bind(16, f.committer.epoch)
        q.bind(17, f.committer.tz)
        q.bind(18, f.summary); q.bind(19, f.message); q.bind(20, f.messageSHA256); q.bind(21, f.encoding); q.bind(22, f.signatureType)
        q.bind(23, f.trailers); q.bind(24, f.reviewCount)
        q.bind(25, f.isMerge); q.bind(26, f.pullRequest?.number); q.bind(27, f.pullRequest?.source); q.bind(28, f.mergedAuthorEmail)
        q.bind(29, f.mergerDiffers); q.bind(30, f.shallow); q.bind(31, f.changes?.count); q.bind(32, adds); q.bind(33, dels)
        q.bind(34, f.changes != nil)
        try q.execute()
        guard let changes = f.changes, !changes.isEmpty else { return }
        let c = try inserts.change.get()
        for ch in changes {
            c.bind(1, captureID); c.bind(2, repo); c.bind(3, f.id); c.bind(4, ch.path); c.bind(5, ch.status); c.bind(6, ch.oldPath)
            c.bind(7, ch.additions); c.bind(8, ch.deletions); c.bind(9, ch.binary); c.bind(10, ch.tooLarge); c.bind(11, ch.oldMode)
            c.bind(12, ch.newMode); c.bind(13, ch.oldBlob); c.bind(14, ch.newBlob); c.bind(15, ch.similarity)
            try c.execute()
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
