import Foundation

/// Line stats of the common edit, counted without a diff engine.
///
/// Most changes to configuration replace, add or remove a run of lines. Such a change shows as a common
/// head and tail of whole lines around a middle in which no line of the old side equals a line of the
/// new side. Every line diff (libgit2's xdiff too) first strips the common head and tail, and a
/// middle without a shared line can only be all deletions and all additions: the counts are exact.
/// Anything else is left to libgit2 (`.undecided`), so the numbers are always the ones it would give.
///
/// This skips libgit2's diff setup, which hashes both sides with SHA-1 and indexes every line: about a
/// fifth of the CPU of a full history ingestion.
enum GitLineCount {
    enum Result: Equatable {
        case counted(additions: Int64, deletions: Int64)
        /// Content libgit2 takes for binary: a NUL byte in the first 8000 bytes of either side.
        case binary
        /// Shared lines inside the changed run: the alignment needs a real diff.
        case undecided
    }

    /// How many bytes libgit2 (and git) search for a NUL to call content binary.
    static let binaryProbe = 8000
    /// Middles with more line pairs than this are left to libgit2 rather than compared pairwise.
    static let maxPairs = 4096

    static func count(old: UnsafeRawBufferPointer, new: UnsafeRawBufferPointer) -> Result {
        if hasNUL(old) || hasNUL(new) { return .binary }
        let a = old.baseAddress, b = new.baseAddress
        let na = old.count, nb = new.count
        guard let a, let b else {
            // One side is empty: every line of the other is added or deleted.
            return .counted(additions: Int64(lines(new, 0, nb)), deletions: Int64(lines(old, 0, na)))
        }
        let pa = a.assumingMemoryBound(to: UInt8.self), pb = b.assumingMemoryBound(to: UInt8.self)
        // Common head: up to the first differing byte, then back to the start of its line.
        var i = 0
        let shortest = min(na, nb)
        while i < shortest, pa[i] == pb[i] { i += 1 }
        if i == na, i == nb { return .counted(additions: 0, deletions: 0) }
        while i > 0, pa[i - 1] != 0x0A { i -= 1 }
        let head = i
        // Common tail: equal trailing bytes (not reaching into the head), then forward to a line start
        // on both sides. The tail bytes are equal, so a line start in one is a line start in the other,
        // except at the very start of the tail, which needs a newline (or the head's end) on both sides.
        var k = 0
        let room = min(na, nb) - head
        while k < room, pa[na - 1 - k] == pb[nb - 1 - k] { k += 1 }
        while k > 0, !(isLineStart(pa, na - k, head) && isLineStart(pb, nb - k, head)) { k -= 1 }
        let endA = na - k, endB = nb - k
        let dels = lines(old, head, endA), adds = lines(new, head, endB)
        if dels == 0 || adds == 0 { return .counted(additions: Int64(adds), deletions: Int64(dels)) }
        if dels * adds > maxPairs { return .undecided }
        // A line of the old middle found in the new middle: a real alignment question.
        var sa = head
        while sa < endA {
            let ea = lineEnd(pa, sa, endA)
            var sb = head
            while sb < endB {
                let eb = lineEnd(pb, sb, endB)
                if ea - sa == eb - sb, memcmp(pa + sa, pb + sb, ea - sa) == 0 { return .undecided }
                sb = eb
            }
            sa = ea
        }
        return .counted(additions: Int64(adds), deletions: Int64(dels))
    }

    private static func hasNUL(_ p: UnsafeRawBufferPointer) -> Bool {
        guard let base = p.baseAddress, p.count > 0 else { return false }
        return memchr(base, 0, min(p.count, binaryProbe)) != nil
    }

    private static func isLineStart(_ p: UnsafePointer<UInt8>, _ at: Int, _ head: Int) -> Bool {
        at == head || p[at - 1] == 0x0A
    }

    /// The end of the line starting at `start` (after its newline, or `end` for a last line without one).
    private static func lineEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        guard let nl = memchr(p + start, 0x0A, end - start) else { return end }
        return UnsafeRawPointer(nl) - UnsafeRawPointer(p) + 1
    }

    /// Lines in bytes `start..<end`: newlines, plus one for a last line without a newline.
    private static func lines(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        guard end > start, let base = buf.baseAddress else { return 0 }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var n = 0
        var s = start
        while s < end {
            s = lineEnd(p, s, end)
            n += 1
        }
        return n
    }
}
