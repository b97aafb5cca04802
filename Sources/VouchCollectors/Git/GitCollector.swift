import CLibGit2
import Foundation
import VouchCore

/// The `git` source: a repository's history as change evidence (who changed what, when,
/// reviewed by whom, signed by whom), read with libgit2.
///
/// Incremental: a capture reads only commits no earlier capture stored for this repository,
/// and writes state rows only for commits whose capture-dependent state changed (see
/// `Schema.registerGit`). When the walked refs were rewritten (a force push, a deleted
/// branch) or the options changed, it re-walks everything reachable, still reading only
/// new commits, and records what disappeared.
public struct GitCollector: Collector {
    public let source = "git"
    public let targetSyntax = "PATH"
    public let summary = "git history with libgit2: commits, per-file changes, refs, trailers, PR numbers, signatures (incremental)"

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let opts = try GitOptions(request)
        let repo: Git2Repository
        do { repo = try Git2Repository(path: opts.path) } catch {
            throw GitCollectorError.notARepository(path: opts.path, reason: (error as? Git2Error)?.message ?? "\(error)")
        }
        let name = opts.name ?? Self.defaultName(repo)
        var store = GitStore(sink: sink, repo: name)
        if try store.alreadyCollected() { throw GitCollectorError.duplicateName(repo: name, path: opts.path) }
        let verifier = (opts.allowedSigners != nil || opts.gpgKeyring != nil)
            ? try GitVerifier(allowedSigners: opts.allowedSigners, gpgKeyring: opts.gpgKeyring) : nil
        let refs = try repo.references()
        let scope = GitScope(branches: opts.branches, main: opts.main)
        let tips = Array(Set(scope.selected(refs).compactMap(\.commit))).sorted()
        let mainRef = scope.mainRef(refs)
        let boundary = repo.shallowBoundary()
        let head = refs.first { $0.name == "HEAD" }?.commit
        let configSHA = opts.configSHA256(repo: name)
        let scopeJSON: JSONValue = opts.branches.isEmpty ? "all" : .array(opts.branches.map { .string($0) })
        let item = EvidenceItem(kind: "git.repository", subject: name, origin: opts.path, data: .object([
            "repo": .string(name), "path": .string(opts.path), "head": head.map { .string($0) } ?? .null,
            "main_ref": mainRef.map { .string($0.name) } ?? .null, "main_head": mainRef?.commit.map { .string($0) } ?? .null,
            "tips": .array(tips.map { .string($0) }), "scope": scopeJSON, "paths": .array(opts.paths.map { .string($0) }),
            "shallow_boundary": .array(boundary.map { .string($0) }), "changes": .string(opts.changes.rawValue),
            "refs": .array(refs.map { .string("\($0.name) \($0.target ?? $0.symbolic ?? "")") }),
        ]))
        // A large history writes hundreds of thousands of rows into indexed tables.
        try sink.withPageCache(kibibytes: 64 << 10) {
            store.evidenceID = try sink.add(item)
            for r in refs { try store.insertRef(r) }
            for p in opts.paths { try store.insertPath(p) }

            var run = GitRun(repo: repo, opts: opts, store: store, sink: sink, verifier: verifier, name: name,
                             walker: GitWalker(repo: repo, shallow: Set(boundary)), progress: request.progress, redactor: request.redactor)
            let prev = try store.previous()
            let commitCount = try run.collect(tips: tips, mainHead: mainRef?.commit, previous: prev, configSHA: configSHA)

            try sink.db.execute(sql: """
                INSERT INTO git_capture_repo(capture_id, evidence_id, repo, path, head, main_ref, main_head, scope, path_filters,
                  trust_sha256, config_sha256, tips, shallow, shallow_boundary, commit_count, new_commit_count, error_count, complete)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    sink.captureID, store.evidenceID, name, opts.path, head, mainRef?.name, mainRef?.commit, scopeJSON.canonicalText,
                    JSONValue.array(opts.paths.map { .string($0) }).canonicalText, verifier?.trustSHA256, configSHA,
                    JSONValue.array(tips.map { .string($0) }).canonicalText, boundary.isEmpty && !repo.isShallow ? 0 : 1,
                    JSONValue.array(boundary.map { .string($0) }).canonicalText, commitCount, run.newCount, run.errors,
                    run.errors == 0 ? 1 : 0,
                ])
        }
    }

    /// The repository's folder name (without `.git`).
    static func defaultName(_ repo: Git2Repository) -> String {
        var p = repo.workDirectory ?? repo.gitDirectory
        while p.hasSuffix("/") { p.removeLast() }
        if p.hasSuffix("/.git") { p.removeLast(5) }
        var base = (p as NSString).lastPathComponent
        if base.hasSuffix(".git") && base.count > 4 { base.removeLast(4) }
        return base.isEmpty ? "repo" : base
    }
}
