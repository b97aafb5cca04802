import CLibGit2
import Foundation
import VouchCore

/// One repository's collection in one capture: decides what to read, reads it, and writes
/// the content rows of new commits plus the state rows of commits whose state changed.
struct GitRun {
    let repo: Git2Repository
    let opts: GitOptions
    let store: GitStore
    let sink: CaptureSink
    let verifier: GitVerifier?
    let name: String
    let walker: GitWalker
    let progress: @Sendable (String) -> Void
    let redactor: Redactor
    var newCount = 0
    var errors = 0
    /// Commits found but not readable: not stored, so not present.
    var readFailures = 0

    /// Collects and returns the number of commits present as of this capture.
    mutating func collect(tips: [String], mainHead: String?, previous prev: GitPreviousCapture?, configSHA: String) throws -> Int64 {
        var missing: [GitWalker.Missing] = []
        // Fast path: same options, the last capture was complete, and nothing it saw was rewritten.
        if let prev, prev.configSHA256 == configSHA, prev.trustSHA256 == verifier?.trustSHA256, prev.complete,
           prev.tips.allSatisfy({ walker.isReachable($0, from: tips) })
        {
            let line: (ids: [String], reached: Bool) =
                mainHead.map { walker.firstParentLine(from: $0, until: prev.mainHead) } ?? ([], prev.mainHead == nil)
            if line.reached {
                let count = try collectNew(tips: tips, mainLine: line.ids, missing: &missing)
                try report(missing)
                return prev.commitCount + count
            }
        }
        let count = try collectAll(tips: tips, mainHead: mainHead, previous: prev, configSHA: configSHA, missing: &missing)
        try report(missing)
        return count
    }

    /// Reads what is reachable now and was not present before; returns how many became present.
    private mutating func collectNew(tips: [String], mainLine: [String], missing: inout [GitWalker.Missing]) throws -> Int64 {
        let oids = try walker.walk(tips: tips, stop: { try store.state(of: $0)?.present == true }, missing: &missing)
        let onMain = Set(mainLine)
        var toRead: [git_oid] = []
        var seen = Set<String>()
        for oid in oids {
            var o = oid
            let id = oidHex(&o)
            seen.insert(id)
            if try store.isStored(id) {
                // Stored earlier, gone since, back now.
                var s = try store.state(of: id) ?? GitCommitState(present: true, firstParentMain: false, touchesInfra: false, signature: .unverified)
                s.present = true
                s.firstParentMain = onMain.contains(id)
                try store.insertState(id, s)
            } else {
                toRead.append(oid)
            }
        }
        try ingest(toRead, onMain: onMain)
        // Old commits that main now reaches along its first-parent line (a fast-forward onto them).
        for id in mainLine where !seen.contains(id) {
            if var s = try store.state(of: id), !s.firstParentMain {
                s.firstParentMain = true
                try store.insertState(id, s)
            }
        }
        return Int64(oids.count - readFailures)
    }

    /// Re-walks everything reachable (after a rewrite or an option change), reading only unstored commits.
    private mutating func collectAll(tips: [String], mainHead: String?, previous prev: GitPreviousCapture?, configSHA: String,
                                     missing: inout [GitWalker.Missing]) throws -> Int64 {
        // A repository never stored before: everything is new, no need to look each commit up.
        let anyStored = try store.hasCommits()
        if !anyStored && opts.changes == .none { return try collectFirstMetadata(tips: tips, mainHead: mainHead, missing: &missing) }
        var firstParents: [String: String] = [:]
        let oids = try walker.walk(tips: tips, stop: { _ in false }, missing: &missing, firstParents: &firstParents)
        let onMain = Set(mainHead.map { walker.firstParentLine(from: $0, until: nil, known: firstParents).ids } ?? [])
        firstParents = [:]
        let current = try store.allStates()
        var toRead: [git_oid] = []
        var stored: [String] = []
        var all = Set<String>()
        for oid in oids {
            var o = oid
            let id = oidHex(&o)
            all.insert(id)
            if try anyStored && store.isStored(id) { stored.append(id) } else { toRead.append(oid) }
        }
        try ingest(toRead, onMain: onMain)
        let sameFilters = prev?.configSHA256 == configSHA
        let sameTrust = prev != nil && prev?.trustSHA256 == verifier?.trustSHA256
        // Only commits stored before this run need them (reading every change row back would cost more
        // than writing it on a first capture).
        let paths = sameFilters || stored.isEmpty ? [:] : try store.changePaths()
        let signed = sameTrust || stored.isEmpty ? [:] : try store.signedCommits()
        for id in stored {
            let cur = current[id]
            let touches = sameFilters && cur != nil ? cur!.touchesInfra : opts.touches(paths[id] ?? [])
            let signature: GitSignatureVerdict
            if sameTrust, let cur { signature = cur.signature }
            else if let type = signed[id] { signature = verifier?.verify(repo: repo, commitID: id, type: type) ?? .unverified }
            else { signature = .unverified }
            let desired = GitCommitState(present: true, firstParentMain: onMain.contains(id), touchesInfra: touches, signature: signature)
            if desired != cur { try store.insertState(id, desired) }
        }
        for (id, cur) in current.sorted(by: { $0.key < $1.key }) where cur.present && !all.contains(id) {
            var gone = cur
            gone.present = false
            try store.insertState(id, gone)
        }
        return Int64(all.count - readFailures)
    }

    /// Reads new commits (on several threads) and writes their content and first state.
    private mutating func ingest(_ oids: [git_oid], onMain: Set<String>) throws {
        guard !oids.isEmpty else { return }
        // One reader per thread; they share the mapped pack indexes.
        var readers: [GitCommitReader] = []
        for _ in 0..<max(1, min(opts.threads, oids.count / 64 + 1)) {
            readers.append(try makeReader(packIndex: readers.first?.pack.index))
        }
        var done = 0
        var errorsSeen = 0
        var failed = 0
        try GitParallelReader.run(oids: oids, readers: readers) { oid, result in
            var o = oid
            let id = oidHex(&o)
            switch result {
            case .success(let f):
                if try write(f, onMain: onMain.contains(id)) { errorsSeen += 1 }
            case .failure(let error):
                errorsSeen += 1
                failed += 1
                try sink.addError(subject: "\(name)@\(id)", origin: opts.path,
                                  message: "commit \(id) could not be read: \((error as? LocalizedError)?.errorDescription ?? "\(error)"). Run `git fsck` to find the damage.")
            }
            done += 1
            if done % 2000 == 0 { progress("git \(name): \(done)/\(oids.count) commits") }
        }
        newCount += done - failed
        readFailures += failed
        errors += errorsSeen
    }

    /// Writes a new commit with the state it is first read with; true when its changes could not be
    /// read (an error item says so).
    private func write(_ f: GitCommitFacts, onMain: Bool) throws -> Bool {
        let signature = f.signatureType == "none" ? .unverified
            : verifier?.verify(repo: repo, commitID: f.id, type: f.signatureType) ?? .unverified
        try store.insertCommit(f, state: GitCommitState(
            present: true, firstParentMain: onMain,
            touchesInfra: opts.touches(f.changes.map { $0.flatMap { [$0.path] + ($0.oldPath.map { [$0] } ?? []) } }),
            signature: signature))
        guard let why = f.changesError else { return false }
        try sink.addError(subject: "\(name)@\(f.id)", origin: opts.path,
                          message: "the changes of commit \(f.id) could not be read (\(why)); the commit is recorded without them. Run `git fsck` and fetch the missing objects.")
        return true
    }

    /// A repository's first metadata-only capture: walks and reads in one pass, writing as it goes
    /// (see `GitStreamingWalk`); returns how many commits became present.
    private mutating func collectFirstMetadata(tips: [String], mainHead: String?, missing: inout [GitWalker.Missing]) throws -> Int64 {
        let reader = try makeReader(packIndex: nil)
        var done = 0
        missing += try GitStreamingWalk.run(tips: tips, mainHead: mainHead, shallow: walker.shallow, reader: reader) { c in
            _ = try write(c.facts, onMain: c.onMain)
            done += 1
            if done % 2000 == 0 { progress("git \(name): \(done) commits") }
        }
        newCount += done
        return Int64(done)
    }

    private func makeReader(packIndex: GitPackIndex?) throws -> GitCommitReader {
        try GitCommitReader(path: repo.path, mode: opts.changes, maxDiffBytes: opts.maxDiffBytes, shallow: walker.shallow,
                            redactor: redactor, libgit2TreeDiff: opts.libgit2TreeDiff, packIndex: packIndex)
    }

    /// Error items for commits the walk could not reach; the rest of the history still lands.
    private mutating func report(_ missing: [GitWalker.Missing]) throws {
        for m in missing {
            errors += 1
            let whose = m.child.map { " (a parent of \($0))" } ?? " (a ref tip)"
            try sink.addError(subject: "\(name)@\(m.id)", origin: opts.path,
                              message: "commit \(m.id)\(whose) is missing from the repository: \(m.message). History behind it is not walked; run `git fsck` and fetch the missing objects.")
        }
    }
}
