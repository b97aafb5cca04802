import Foundation

/// Runs `work(i)` for `i` in `0..<count` on background threads, at most `window` items ahead of the
/// consumer, and hands the results back strictly in index order (so what is written stays the same
/// as one thread would write it). Used to read, parse and redact Talos files while the writer stores
/// the previous ones, and to read git commits chunk by chunk. Memory stays bounded: finished results waiting for the consumer may weigh (e.g. in
/// input bytes) `budget` at most, beyond which only the item the consumer needs next is started.
final class OrderedPrefetch<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private let count: Int
    private let window: Int
    private let budget: Int
    private let work: @Sendable (_ item: Int, _ worker: Int) -> T
    private let weight: (T) -> Int
    private var results: [Int: T] = [:]
    private var pendingWeight = 0
    private var nextToStart = 0
    private var consumed = 0
    private var running = 0
    private var stopped = false

    /// `workers` threads, each with the main thread's 8 MiB stack (parsing and flattening recurse).
    convenience init(count: Int, workers: Int, window: Int, budget: Int = .max, weight: @escaping (T) -> Int = { _ in 0 },
                     work: @escaping @Sendable (Int) -> T) {
        self.init(count: count, workers: workers, window: window, budget: budget, weight: weight, perWorker: { i, _ in work(i) })
    }

    /// As above, `work` also told which worker (0..<workers) runs it, for per-thread state such as a
    /// repository handle that must not be shared between threads.
    init(count: Int, workers: Int, window: Int, budget: Int = .max, weight: @escaping (T) -> Int = { _ in 0 },
         perWorker work: @escaping @Sendable (_ item: Int, _ worker: Int) -> T) {
        self.count = count
        self.window = max(1, window)
        self.budget = budget
        self.weight = weight
        self.work = work
        let n = max(1, min(workers, count))
        running = n
        for worker in 0..<n {
            let thread = Thread { [self] in self.run(worker) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func run(_ worker: Int) {
        while true {
            cond.lock()
            while !stopped && nextToStart < count
                && (nextToStart >= consumed + window || (pendingWeight >= budget && nextToStart > consumed)) { cond.wait() }
            if stopped || nextToStart >= count {
                running -= 1
                cond.broadcast()
                cond.unlock()
                return
            }
            let i = nextToStart
            nextToStart += 1
            cond.unlock()
            let result = work(i, worker)
            cond.lock()
            results[i] = result
            pendingWeight += weight(result)
            cond.broadcast()
            cond.unlock()
        }
    }

    /// The result of item `i`, which must be the next one (0, 1, 2, …), waiting for it if needed.
    func take(_ i: Int) -> T {
        cond.lock()
        defer { cond.unlock() }
        precondition(i == consumed && i < count, "OrderedPrefetch: results are taken in order")
        while results[i] == nil { cond.wait() }
        consumed = i + 1
        let result = results.removeValue(forKey: i)!
        pendingWeight -= weight(result)
        cond.broadcast()
        return result
    }

    /// Stops the workers (the ones busy finish their item) and waits for them to exit.
    func finish() {
        cond.lock()
        stopped = true
        cond.broadcast()
        while running > 0 { cond.wait() }
        results.removeAll()
        cond.unlock()
    }
}
