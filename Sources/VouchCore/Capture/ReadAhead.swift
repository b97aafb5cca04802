import Crypto
import Foundation

/// Reads and hashes a stream on a second thread while the caller writes chunks to SQLite:
/// the two halves of a large blob capture overlap on two cores. At most `depth` chunks
/// are in flight, so memory stays bounded (depth × chunk size).
final class ReadAhead: @unchecked Sendable {
    private let lock = NSCondition()
    private var queue: [Data] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var hasher = SHA256()
    private var digest: String?
    private let depth: Int

    init(depth: Int = 4, read: @escaping @Sendable () throws -> Data) {
        self.depth = depth
        let thread = Thread { [self] in self.produce(read) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func produce(_ read: () throws -> Data) {
        while true {
            lock.lock()
            while queue.count >= depth && !cancelled { lock.wait() }
            let stop = cancelled
            lock.unlock()
            if stop { break }
            let chunk: Data
            do { chunk = try read() } catch {
                lock.lock(); failure = error; finished = true; lock.broadcast(); lock.unlock()
                return
            }
            if !chunk.isEmpty { hasher.update(data: chunk) }
            lock.lock()
            if chunk.isEmpty {
                digest = Hashing.hex(hasher.finalize())
                finished = true
            } else {
                queue.append(chunk)
            }
            lock.broadcast()
            lock.unlock()
            if chunk.isEmpty { return }
        }
        lock.lock(); finished = true; lock.broadcast(); lock.unlock()
    }

    /// The next chunk, or nil at the end of the stream.
    func next() throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !finished { lock.wait() }
        if let failure { throw failure }
        if queue.isEmpty { return nil }
        let c = queue.removeFirst()
        lock.broadcast()
        return c
    }

    /// The SHA-256 of everything read (after `next()` returned nil).
    var sha256: String? { lock.lock(); defer { lock.unlock() }; return digest }

    /// Stops the producer early (on an error while writing).
    func cancel() {
        lock.lock(); cancelled = true; lock.broadcast()
        while !finished { lock.wait() }
        lock.unlock()
    }
}
