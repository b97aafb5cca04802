import Foundation
import Testing
@testable import VouchCollectors

/// OrderedPrefetch hands results back in order, stays within its window and weight budget, and
/// stops cleanly when the consumer gives up early.
@Suite struct TalosPrefetchTests {
    final class Probe: @unchecked Sendable {
        private let lock = NSLock()
        private var started: [Int] = []
        func start(_ i: Int) { lock.lock(); started.append(i); lock.unlock() }
        var maxStarted: Int { lock.lock(); defer { lock.unlock() }; return started.max() ?? -1 }
        var count: Int { lock.lock(); defer { lock.unlock() }; return started.count }
    }

    @Test func resultsComeInOrder() {
        let p = OrderedPrefetch(count: 200, workers: 3, window: 7) { i -> Int in
            if i % 5 == 0 { usleep(200) }
            return i * i
        }
        defer { p.finish() }
        for i in 0..<200 { #expect(p.take(i) == i * i) }
    }

    @Test func windowAndBudgetBoundTheReadAhead() {
        let probe = Probe()
        let window = OrderedPrefetch(count: 100, workers: 2, window: 4) { i -> Int in probe.start(i); return i }
        usleep(50_000)
        #expect(probe.maxStarted <= 3)
        for i in 0..<100 { _ = window.take(i) }
        window.finish()

        // Every result weighs 10 against a budget of 25: three finished results stall the readers.
        let heavy = Probe()
        let budget = OrderedPrefetch(count: 100, workers: 2, window: 50, budget: 25, weight: { _ in 10 }) { i -> Int in
            heavy.start(i); return i
        }
        usleep(50_000)
        #expect(heavy.maxStarted <= 4)
        for i in 0..<100 { #expect(budget.take(i) == i) }
        budget.finish()
        #expect(heavy.count == 100)
    }

    @Test func finishStopsEarly() {
        let probe = Probe()
        let p = OrderedPrefetch(count: 10_000, workers: 2, window: 8) { i -> Int in probe.start(i); return i }
        _ = p.take(0)
        p.finish()
        let n = probe.count
        usleep(20_000)
        #expect(probe.count == n && n < 100)
    }

    @Test func emptyAndSingle() {
        OrderedPrefetch(count: 0, workers: 4, window: 4) { $0 }.finish()
        let one = OrderedPrefetch(count: 1, workers: 4, window: 4) { $0 + 41 }
        #expect(one.take(0) == 41)
        one.finish()
    }
}
