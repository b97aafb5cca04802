import CLibGit2
import Foundation

/// A commit the streaming walk read, with whether it is on main's first-parent line.
struct GitWalkedCommit: Sendable {
    var facts: GitCommitFacts
    var onMain: Bool
}

/// The first metadata-only capture of a repository, as one pass: a background thread walks the
/// history and reads each commit's facts from the same lookup (the walk needs its parents anyway),
/// while the caller's thread writes the previous ones.
///
/// Walking first and reading afterwards looked every commit up twice, and the writer waited for
/// the whole walk. `main` is walked first, following first parents first, so its first-parent line
/// is exactly the chain the walk starts with: each commit's place on it is known when it is read.
enum GitStreamingWalk {
    /// Commits per hand-over.
    static let chunkSize = 256

    /// Walks from `tips` (`mainHead` first) with `reader` on a background thread, calling `consume`
    /// on this thread for each commit in walk order; returns the commits that could not be read.
    static func run(tips: [String], mainHead: String?, shallow: Set<String>, reader: GitCommitReader,
                    consume: (GitWalkedCommit) throws -> Void) throws -> [GitWalker.Missing] {
        let channel = GitChunkChannel<GitWalkedCommit>(capacity: 8)
        let box = WalkBox(reader: reader, tips: tips, mainHead: mainHead, shallow: shallow)
        let thread = Thread { [box, channel] in
            box.missing = walk(box, emit: { channel.put($0) })
            channel.close()
        }
        thread.stackSize = 8 << 20
        thread.start()
        defer { channel.cancel(); channel.waitClosed() }
        while let chunk = channel.take() {
            for c in chunk { try consume(c) }
        }
        return box.missing
    }

    /// The walk itself (see `GitWalker.walk`: the same order, missing commits stop only their own
    /// line, the shallow boundary is honoured). Stops early when `emit` returns false.
    private static func walk(_ box: WalkBox, emit: ([GitWalkedCommit]) -> Bool) -> [GitWalker.Missing] {
        var missing: [GitWalker.Missing] = []
        var seen = Set<String>()
        var batch: [GitWalkedCommit] = []
        batch.reserveCapacity(chunkSize)
        var ordered = box.tips
        if let main = box.mainHead, let i = ordered.firstIndex(of: main) { ordered.remove(at: i); ordered.insert(main, at: 0) }
        var stack: [(id: String, child: String?, onMain: Bool)] = ordered.reversed().map { ($0, nil, $0 == box.mainHead) }
        while let (id, child, onMain) = stack.popLast() {
            guard seen.insert(id).inserted, let oid = oidFrom(id) else { continue }
            let facts: GitCommitFacts
            do { facts = try box.reader.readMetadata(oid) } catch {
                missing.append(GitWalker.Missing(id: id, child: child,
                                                 message: (error as? LocalizedError)?.errorDescription ?? "\(error)"))
                continue
            }
            if !box.shallow.contains(id) {
                // Reverse, so the first parent is walked first.
                for (i, p) in facts.parents.enumerated().reversed() where !seen.contains(p) { stack.append((p, id, onMain && i == 0)) }
            }
            batch.append(GitWalkedCommit(facts: facts, onMain: onMain))
            if batch.count == chunkSize {
                guard emit(batch) else { return missing }
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = emit(batch) }
        return missing
    }
}

/// The walk's inputs and result, handed to its thread (only that thread touches the reader).
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

    /// The next chunk, waiting for it; nil once the producer closed and everything was taken.
    func take() -> [T]? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty && !closed { cond.wait() }
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
