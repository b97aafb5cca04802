import CLibGit2
import Foundation

/// A commit the streaming walk read, with whether it is on main's first-parent line.
struct GitWalkedCommit: Sendable {
    var facts: GitCommitFacts
    var onMain: Bool
}

/// A commit as the walk reads it, before it becomes facts.
struct GitWalkedParts: Sendable {
    var id: String
    var parts: GitCommitParts
    var mergedAuthor: String?
    var onMain: Bool
}

/// The first metadata-only capture of a repository, as one pass in three stages: a thread walks the
/// history and reads each commit's parts from the same lookup (the walk needs its parents anyway), a
/// second turns parts into facts (trailers, safe text, hashes), and the caller's thread writes them.
///
/// Walking first and reading afterwards looked every commit up twice, and the writer waited for
/// the whole walk. With the facts made on the walking thread, that thread was the bottleneck while
/// the writer idled a fifth of the time; as three stages the system keeps both cores busy. `main`
/// is walked first, following first parents first, so its first-parent line is exactly the chain the
/// walk starts with: each commit's place on it is known when it is read.
enum GitStreamingWalk {
    /// Commits per hand-over.
    static let chunkSize = 256

    /// Walks from `tips` (`mainHead` first) with `reader` on background threads, calling `consume`
    /// on this thread for each commit in walk order; returns the commits that could not be read.
    static func run(tips: [String], mainHead: String?, shallow: Set<String>, reader: GitCommitReader,
                    consume: (GitWalkedCommit) throws -> Void) throws -> [GitWalker.Missing] {
        let read = GitChunkChannel<GitWalkedParts>(capacity: 8)
        let made = GitChunkChannel<GitWalkedCommit>(capacity: 8)
        let box = WalkBox(reader: reader, tips: tips, mainHead: mainHead, shallow: shallow)
        let walker = Thread { [box, read] in
            box.missing = walk(box, emit: { read.put($0) })
            read.close()
        }
        // Only this thread calls `facts`, which reads nothing the walk changes.
        let maker = Thread { [box, read, made] in
            while var chunk = read.take() {
                // Parts are moved out last first, so the facts come out reversed: the writer pops them
                // back into walk order. Moving, not iterating, spares a retain and a release of every field.
                var facts: [GitWalkedCommit] = []
                facts.reserveCapacity(chunk.count)
                while let c = chunk.popLast() {
                    facts.append(GitWalkedCommit(facts: box.reader.facts(id: c.id, c.parts, mergedAuthor: c.mergedAuthor), onMain: c.onMain))
                }
                guard made.put(facts) else { read.cancel(); break }
            }
            made.close()
        }
        walker.stackSize = 8 << 20
        walker.start()
        maker.start()
        defer {
            made.cancel(); read.cancel()
            read.waitClosed(); made.waitClosed()
        }
        while var chunk = made.take() {
            // Chunks of facts come reversed (see the maker): popping restores walk order, and moves
            // each commit out instead of copying it.
            while let c = chunk.popLast() { try consume(c) }
        }
        return box.missing
    }

    /// The walk itself (see `GitWalker.walk`: the same order, missing commits stop only their own
    /// line, the shallow boundary is honoured). Stops early when `emit` returns false.
    private static func walk(_ box: WalkBox, emit: ([GitWalkedParts]) -> Bool) -> [GitWalker.Missing] {
        var missing: [GitWalker.Missing] = []
        var seen = Set<String>()
        var batch: [GitWalkedParts] = []
        batch.reserveCapacity(chunkSize)
        var ordered = box.tips
        if let main = box.mainHead, let i = ordered.firstIndex(of: main) { ordered.remove(at: i); ordered.insert(main, at: 0) }
        var stack: [(id: String, child: String?, onMain: Bool)] = ordered.reversed().map { ($0, nil, $0 == box.mainHead) }
        while let (id, child, onMain) = stack.popLast() {
            guard seen.insert(id).inserted, let oid = oidFrom(id) else { continue }
            let read: (id: String, parts: GitCommitParts, mergedAuthor: String?)
            do { read = try box.reader.readMetadataParts(oid) } catch {
                missing.append(GitWalker.Missing(id: id, child: child,
                                                 message: (error as? LocalizedError)?.errorDescription ?? "\(error)"))
                continue
            }
            if !box.shallow.contains(id) {
                // Reverse, so the first parent is walked first.
                for (i, p) in read.parts.parents.enumerated().reversed() where !seen.contains(p) { stack.append((p, id, onMain && i == 0)) }
            }
            batch.append(GitWalkedParts(id: read.id, parts: read.parts, mergedAuthor: read.mergedAuthor, onMain: onMain))
            if batch.count == chunkSize {
                guard emit(batch) else { return missing }
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = emit(batch) }
        return missing
    }
}

/// The walk's inputs and result, handed to its threads (the walking thread reads with the reader;
/// the other only calls its `facts`).
private final class WalkBox: @unchecked Sendable {
    let reader: GitCommitReader
    let tips: [String]
    let mainHead: String?
    let shallow: Set<String>
    var missing: [GitWalker.Missing] = []
    init(reader: GitCommitReader, tips: [String], mainHead: String?, shallow: Set<String>) {
        self.reader = reader; self.tips = tips; self.mainHead = mainHead; self.shallow = shallow
    }
}

/// A bounded queue of chunks from one producer thread to one consumer.
final class GitChunkChannel<T: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    private var queue: [[T]] = []
    private let capacity: Int
    private var closed = false
    private var cancelled = false

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Queues a chunk, waiting while the queue is full; false when the consumer has stopped.
    func put(_ chunk: [T]) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while queue.count >= capacity && !cancelled { cond.wait() }
        guard !cancelled else { return false }
        queue.append(chunk)
        cond.broadcast()
        return true
    }

    /// The producer is done.
    func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }

    /// The next chunk, waiting for it; nil once the producer closed and everything was taken, or
    /// once the consumer side was cancelled.
    func take() -> [T]? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty && !closed && !cancelled { cond.wait() }
        guard !queue.isEmpty else { return nil }
        cond.broadcast()
        return queue.removeFirst()
    }

    /// The consumer stops (after an error, say): the producer's next `put` returns false.
    func cancel() {
        cond.lock()
        cancelled = true
        queue.removeAll()
        cond.broadcast()
        cond.unlock()
    }

    /// Waits until the producer has closed (it no longer touches what it was handed).
    func waitClosed() {
        cond.lock()
        while !closed { cond.wait() }
        cond.unlock()
    }
}
