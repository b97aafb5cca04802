import Foundation
import VouchCore

/// Errors of the git collector that stop the whole source.
enum GitCollectorError: Error, LocalizedError {
    case notARepository(path: String, reason: String)
    case duplicateName(repo: String, path: String)
    case badOption(key: String, reason: String)
    case unreadableTrust(path: String, what: String)

    var errorDescription: String? {
        switch self {
        case .notARepository(let path, let reason):
            return "\(path) is not a readable git repository: \(reason). Point the git source at a clone (its work tree or .git folder)."
        case .duplicateName(let repo, let path):
            return "another git source in this capture is also named '\(repo)' (\(path)); give each repository its own `name:` in the profile."
        case .badOption(let key, let reason):
            return "the git source option '\(key)' is invalid: \(reason)"
        case .unreadableTrust(let path, let what):
            return "cannot read the \(what) file \(path); fix the path in the profile (relative paths start at the profile's folder)."
        }
    }
}

/// The git source's options, from the profile entry (all optional).
///
/// `name` (default: the folder name), `branches` (patterns; default: all refs), `main` (the main branch;
/// default main, master or origin's HEAD), `paths` (prefixes such as `talos/`), `allowed_signers`,
/// `gpg_keyring`, `changes` (lines | paths | none; default lines), `max_diff_bytes` (default 1 MiB),
/// `threads` (default: the number of cores, at most 4), `tree_diff` (vouch | libgit2; default vouch: see
/// `GitTreeDiff`; `libgit2` compares every commit with libgit2's own diff, slower, for cross-checking).
struct GitOptions {
    var path: String
    var name: String?
    var branches: [String]
    var main: String?
    var paths: [String]
    var allowedSigners: String?
    var gpgKeyring: String?
    var changes: GitChangesMode
    var maxDiffBytes: Int64
    var threads: Int
    /// Compare trees with libgit2's `git_diff_tree_to_tree` for every commit (same rows, slower).
    var libgit2TreeDiff: Bool

    init(_ request: CollectRequest) throws {
        path = request.targetURL.standardizedFileURL.path
        name = request.option("name")
        branches = request.stringList("branches")
        if request.option("refs") == "all" { branches = [] }
        main = request.option("main")
        paths = (request.stringList("paths") + request.stringList("path_filters")).map(Self.normalizePrefix).filter { !$0.isEmpty }
        func file(_ key: String) -> String? {
            guard let p = request.option(key), !p.isEmpty else { return nil }
            return p.hasPrefix("/") ? p : request.baseDirectory.appendingPathComponent(p).standardizedFileURL.path
        }
        allowedSigners = file("allowed_signers")
        gpgKeyring = file("gpg_keyring")
        let mode = request.option("changes") ?? "lines"
        guard let m = GitChangesMode(rawValue: mode) else {
            throw GitCollectorError.badOption(key: "changes", reason: "'\(mode)' is not one of lines, paths, none")
        }
        changes = m
        maxDiffBytes = request.intOption("max_diff_bytes") ?? (1 << 20)
        guard maxDiffBytes > 0 else { throw GitCollectorError.badOption(key: "max_diff_bytes", reason: "it must be a positive number of bytes") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        threads = Int(request.intOption("threads") ?? Int64(min(max(cores, 1), 4)))
        guard (1...64).contains(threads) else { throw GitCollectorError.badOption(key: "threads", reason: "use 1 to 64") }
        let engine = request.option("tree_diff") ?? "vouch"
        guard ["vouch", "libgit2"].contains(engine) else {
            throw GitCollectorError.badOption(key: "tree_diff", reason: "'\(engine)' is not one of vouch, libgit2")
        }
        libgit2TreeDiff = engine == "libgit2"
    }

    static func normalizePrefix(_ p: String) -> String {
        var s = Substring(p)
        while s.hasPrefix("./") { s = s.dropFirst(2) }
        while s.hasPrefix("/") { s = s.dropFirst() }
        return String(s)
    }

    /// The options that decide what the stored state means (a change forces a full re-walk).
    func configSHA256(repo: String) -> String {
        var h = FieldHasher(domain: "vouch.git.config.v1")
        h.add(repo); h.add(path)
        h.add(Int64(branches.count)); for b in branches { h.add(b) }
        h.add(optional: main)
        h.add(Int64(paths.count)); for p in paths { h.add(p) }
        h.add(changes.rawValue); h.add(maxDiffBytes)
        return h.finalizeHex()
    }

    /// Whether a commit with these changed paths touches the infrastructure (every commit when no filter is set).
    func touches(_ changedPaths: [String]?) -> Bool {
        if paths.isEmpty { return true }
        guard let changedPaths else { return false }
        return changedPaths.contains { path in paths.contains { path.hasPrefix($0) } }
    }
}
