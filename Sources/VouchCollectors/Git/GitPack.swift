import CLibDeflate
import CLibGit2
import CVouchZlib
import Foundation

/// The version 2 pack indexes of a repository's own object folder, mapped once and shared by the
/// reader threads (read only).
final class GitPackIndex: @unchecked Sendable {
    struct Pack {
        let index: UnsafeRawPointer
        let indexLength: Int
        let count: Int
        let fd: Int32
    }

    let packs: [Pack]

    /// At most this many packs are opened (those with the largest indexes, i.e. the most objects, first),
    /// so a repository that was never repacked does not use up the file descriptors libgit2 needs; objects
    /// in the others are left to libgit2.
    static let maxPacks = 64

    init(objectsDirectory: String) {
        let dir = objectsDirectory + "/pack"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let sized = names.filter { $0.hasSuffix(".idx") }.map { name -> (String, Int) in
            let attributes = try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)
            return (name, (attributes?[.size] as? Int) ?? 0)
        }
        packs = sized.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(Self.maxPacks).compactMap {
            Self.open(index: dir + "/" + $0.0, pack: dir + "/" + $0.0.dropLast(4) + ".pack")
        }
    }

    deinit {
        for p in packs {
            munmap(UnsafeMutableRawPointer(mutating: p.index), p.indexLength)
            close(p.fd)
        }
    }

    /// The pack (its position in `packs`) and offset of an object, or nil when it is in none of them.
    func locate(_ oid: UnsafePointer<git_oid>) -> (pack: Int, offset: UInt64)? {
        for (n, p) in packs.enumerated() {
            if let offset = Self.find(oid, in: p) { return (n, offset) }
        }
        return nil
    }

    private static func be32(_ p: UnsafeRawPointer, _ at: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    /// Maps a version 2 index and opens its pack; nil for anything else.
    private static func open(index: String, pack: String) -> Pack? {
        let ifd = Foundation.open(index, O_RDONLY | O_CLOEXEC)
        guard ifd >= 0 else { return nil }
        defer { close(ifd) }
        var st = stat()
        guard fstat(ifd, &st) == 0, st.st_size >= 8 + 1024 + 40 else { return nil }
        let length = Int(st.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, ifd, 0), map != MAP_FAILED else { return nil }
        let p = UnsafeRawPointer(map)
        let count = Int(be32(p, 8 + 255 * 4))
        // Magic "\377tOc", version 2, then the fan-out table (running counts by first byte: never
        // decreasing), ids, CRCs, offsets (4 bytes each), large offsets.
        guard be32(p, 0) == 0xFF74_4F63, be32(p, 4) == 2, length >= 8 + 1024 + count * 28 + 40,
              (1..<256).allSatisfy({ be32(p, 8 + ($0 - 1) * 4) <= be32(p, 8 + $0 * 4) }),
              case let pfd = Foundation.open(pack, O_RDONLY | O_CLOEXEC), pfd >= 0
        else {
            munmap(map, length)
            return nil
        }
        return Pack(index: p, indexLength: length, count: count, fd: pfd)
    }

    /// The pack offset of an object, searched within its fan-out bucket: ids are uniformly spread,
    /// so the next probe is placed where the id would be by its first 8 bytes (a few probes instead
    /// of a dozen, each a likely cache miss in a large index), every other probe halving the range
    /// so that ids spread otherwise still take no more than twice the steps of a binary search.
    private static func find(_ oid: UnsafePointer<git_oid>, in p: Pack) -> UInt64? {
        let first = withUnsafeBytes(of: oid.pointee.id) { Int($0[0]) }
        var lo = first == 0 ? 0 : Int(be32(p.index, 8 + (first - 1) * 4))
        var hi = Int(be32(p.index, 8 + first * 4))
        guard lo <= hi, hi <= p.count else { return nil }
        let ids = p.index + 8 + 1024
        func prefix(_ raw: UnsafeRawPointer) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)) }
        var found: Int?
        withUnsafeBytes(of: oid.pointee.id) { key in
            let k = prefix(key.baseAddress!)
            // Every id in [lo, hi) has a prefix within [low, high], and so has the key.
            var low = UInt64(first) << 56, high = low | ((1 << 56) - 1)
            var interpolate = true
            while lo < hi {
                var mid = (lo + hi) / 2
                if interpolate, hi - lo > 8, high > low {
                    let share = Double(k - low) / Double(high - low)
                    mid = min(hi - 1, lo + Int(share * Double(hi - lo)))
                }
                interpolate.toggle()
                let probe = ids + mid * 20
                let v = prefix(probe)
                let c: Int32 = v != k ? (v < k ? -1 : 1) : memcmp(probe, key.baseAddress!, 20)
                if c == 0 { found = mid; return }
                if c < 0 { lo = mid + 1; low = v } else { hi = mid; high = v }
            }
        }
        guard let i = found else { return nil }
        let offsets = ids + p.count * 24
        let small = be32(offsets, i * 4)
        if small & 0x8000_0000 == 0 { return UInt64(small) }
        let large = Int(small & 0x7FFF_FFFF)
        let at = p.count * 4 + large * 8
        guard 8 + 1024 + p.count * 24 + at + 8 <= p.indexLength - 40 else { return nil }
        return UInt64(bigEndian: offsets.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}

/// Reads blobs and trees straight from the pack files, for line stats and tree walks.
///
/// libgit2 reads a packed object under locks that every reader thread shares (the pack, its cache of
/// delta bases, the global list of mapped windows), sets up a new zlib stream for each object, and
/// empties its whole 16 MB cache of delta bases whenever it fills. Its header read, used to keep blobs
/// over the size limit from being loaded, follows the delta chain once more to learn the type. On a
/// large history those reads were the largest part of the run, and two threads contended on them.
///
/// This reader takes no locks (it reads with `pread` and keeps its own cache), reuses one zlib stream,
/// and learns an object's size before loading it: from its entry header, or for a delta from the
/// delta's first bytes. The caller knows an object's type from the tree entry or commit naming it; an
/// object of another type is left to libgit2.
///
/// Only objects in version 2 pack indexes of the repository's own object folder are read. Anything else
/// (a loose object, an alternate, a pack written after the indexes were mapped, a damaged entry) is
/// `.unavailable`, and the caller asks libgit2, which reports real damage. One instance per thread.
final class GitPackReader {
    enum Lookup {
        case content([UInt8])
        /// Larger than the limit: not loaded.
        case tooLarge(Int)
        case unavailable
    }

    let index: GitPackIndex
    private var stream = z_stream()
    private var streamReady = false
    /// Inflates an object whose data is all at hand in one call (see `inflateAll`).
    private let decompressor = libdeflate_alloc_decompressor()
    /// Bytes read from the pack at a time; the first read of an entry (its header and, for most
    /// objects in a history, all of its data).
    private static let chunk = 64 << 10, firstRead = 1024
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)

    private struct Key: Hashable {
        var pack: Int
        var offset: UInt64
    }

    /// Objects rebuilt recently (results and the delta bases on their way), by pack entry: first in,
    /// first out within `budget` bytes. Reading history newest first, a file's older version is usually
    /// a delta against the newer one read just before.
    private var cache: [Key: (type: UInt8, bytes: [UInt8])] = [:]
    private var order: [Key] = []
    private var first = 0
    private var bytes = 0
    private let budget: Int

    init(index: GitPackIndex, budget: Int = 8 << 20) {
        self.index = index
        self.budget = budget
        streamReady = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    }

    convenience init(objectsDirectory: String) {
        self.init(index: GitPackIndex(objectsDirectory: objectsDirectory))
    }

    deinit {
        if streamReady { inflateEnd(&stream) }
        if let decompressor { libdeflate_free_decompressor(decompressor) }
        input.deallocate()
    }

    /// One entry of a pack: its type, its (inflated) size, where its zlib data starts, and for a delta
    /// where its base is.
    private struct Entry {
        var pack: Int
        var offset: UInt64
        var type: UInt8
        var size: Int
        var data: UInt64
        var base: Key?
    }

    static let blob: UInt8 = 3, tree: UInt8 = 2, commit: UInt8 = 1

    /// The content of the object with this id, unless it is larger than `limit` or not of `type`
    /// (`GitPackReader.blob`, `.tree` or `.commit`).
    func content(of oid: UnsafePointer<git_oid>, limit: Int, type: UInt8 = blob) -> Lookup {
        guard streamReady, let (pack, offset) = index.locate(oid) else { return .unavailable }
        let key = Key(pack: pack, offset: offset)
        if let hit = cache[key] {
            guard hit.type == type else { return .unavailable }
            return hit.bytes.count > limit ? .tooLarge(hit.bytes.count) : .content(hit.bytes)
        }
        // Down the chain of deltas to a cached object or a whole one, inflating each entry right after
        // its header (usually from the same read). The first delta is the object asked for: its result
        // size decides before anything else is loaded.
        var chain: [(entry: Entry, delta: [UInt8])] = []
        var at = key
        var base: [UInt8]?
        // Bases (and deltas) far over the limit are left to libgit2: they would need as much memory here,
        // and a damaged header must not make this allocate gigabytes.
        let cap = max(min(limit, Int.max / 4), 1 << 20) * 4
        while base == nil {
            if let hit = cache[at] {
                guard hit.type == type else { return .unavailable }
                base = hit.bytes
                break
            }
            guard chain.count < 10_000, let e = entry(at, readAhead: type == Self.commit) else { return .unavailable }
            if let b = e.base {
                guard e.size <= cap, let d = inflateAll(e, size: e.size), let sizes = Self.deltaSizes(d) else { return .unavailable }
                if chain.isEmpty, sizes.result > limit { return .tooLarge(sizes.result) }
                guard sizes.result <= cap else { return .unavailable }
                chain.append((e, d))
                at = b
            } else {
                // Only the type asked for is read (and cached): libgit2 reports an object of another type.
                guard e.type == type else { return .unavailable }
                if chain.isEmpty, e.size > limit { return .tooLarge(e.size) }
                guard e.size <= cap, let whole = inflateAll(e, size: e.size) else { return .unavailable }
                // A commit read whole is seldom asked for again (nor a delta's base): not kept.
                if !(chain.isEmpty && type == Self.commit) { remember(at, type, whole) }
                base = whole
            }
        }
        // The deltas apply from the innermost out.
        var object = base!
        for (e, d) in chain.reversed() {
            guard let next = Self.apply(d, to: object) else { return .unavailable }
            object = next
            remember(Key(pack: e.pack, offset: e.offset), type, object)
        }
        return object.count > limit ? .tooLarge(object.count) : .content(object)
    }

    private func remember(_ key: Key, _ type: UInt8, _ object: [UInt8]) {
        guard object.count <= budget / 8, cache[key] == nil else { return }
        cache[key] = (type, object)
        order.append(key)
        bytes += object.count + 64
        while bytes > budget, first < order.count {
            if let gone = cache.removeValue(forKey: order[first]) { bytes -= gone.bytes.count + 64 }
            first += 1
        }
        if first > 4096, first * 2 > order.count {
            order.removeFirst(first)
            first = 0
        }
    }

    /// What `input` holds: bytes of this pack from this offset.
    private var held: (pack: Int, offset: UInt64, count: Int) = (-1, 0, 0)

    /// Parses the entry header at `key` (one read, which usually holds the whole entry). With
    /// `readAhead`, a read brings in that much, and entries already held are parsed without one:
    /// packs keep commits together in history order, so a walk reads hundreds of them per read.
    private func entry(_ key: Key, readAhead: Bool = false) -> Entry? {
        let fd = index.packs[key.pack].fd
        var s = 0
        if readAhead, held.pack == key.pack, key.offset >= held.offset,
           key.offset + UInt64(Self.firstRead) <= held.offset + UInt64(held.count) {
            s = Int(key.offset - held.offset)
        } else {
            let have = pread(fd, input, readAhead ? Self.chunk : Self.firstRead, off_t(key.offset))
            held = (key.pack, key.offset, max(have, 0))
            guard have > 0 else { return nil }
        }
        let input = self.input + s
        let have = held.count - s
        var i = 0
        var b = input[0]
        let type = (b >> 4) & 7
        var size = Int(b & 15), shift = 4
        while b & 0x80 != 0 {
            i += 1
            guard i < have, shift < 57 else { return nil }
            b = input[i]
            size |= Int(b & 0x7F) << shift
            shift += 7
        }
        i += 1
        var base: Key?
        switch type {
        case 1, 2, 3, 4: break
        case 6:                                  // offset delta: the base is this far before
            guard i < have else { return nil }
            var c = input[i]
            i += 1
            var distance = UInt64(c & 0x7F)
            while c & 0x80 != 0 {
                guard i < have, distance < (1 << 56) else { return nil }
                c = input[i]
                i += 1
                distance = ((distance + 1) << 7) | UInt64(c & 0x7F)
            }
            guard distance > 0, distance <= key.offset else { return nil }
            base = Key(pack: key.pack, offset: key.offset - distance)
        case 7:                                  // reference delta: the base by id
            guard i + 20 <= have else { return nil }
            var oid = git_oid()
            withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: UnsafeRawBufferPointer(start: input + i, count: 20)) }
            i += 20
            guard let (pack, offset) = index.locate(&oid) else { return nil }
            base = Key(pack: pack, offset: offset)
        default: return nil
        }
        return Entry(pack: key.pack, offset: key.offset, type: type, size: size, data: key.offset + UInt64(i), base: base)
    }

    /// Inflates an entry's data, which must come to exactly `size` bytes.
    ///
    /// An object under 64 KiB is inflated by libdeflate in one call from the bytes already read (or
    /// one read of its most likely length): about twice as fast as zlib's stream, which costs a
    /// reset and its window handling per object (inflating was 14% of a metadata capture's
    /// CPU). Anything that call does not settle (data cut short by the read, longer or shorter
    /// than the header says, or damaged) goes through zlib, which decides as before.
    private func inflateAll(_ e: Entry, size: Int) -> [UInt8]? {
        if let whole = inflateAtOnce(e, size: size) { return whole }
        guard size < Int(UInt32.max), inflateReset(&stream) == Z_OK else { return nil }
        let fd = index.packs[e.pack].fd
        var position = e.data
        var failed = false
        // One byte of room more than expected, so data longer than its header says is caught.
        let room = size + 1
        let out = [UInt8](unsafeUninitializedCapacity: room) { buf, count in
            count = 0
            stream.next_out = buf.baseAddress
            stream.avail_out = UInt32(room)
            // The bytes the header read brought in already.
            var start = 0, have = 0
            if held.pack == e.pack, position >= held.offset, position < held.offset + UInt64(held.count) {
                start = Int(position - held.offset)
                have = held.count
                position = held.offset + UInt64(held.count)
            }
            while true {
                if start >= have {
                    // Compressed data is rarely much larger than the object.
                    have = pread(fd, input, min(Self.chunk, size + 64), off_t(position))
                    held = (e.pack, position, max(have, 0))
                    guard have > 0 else { failed = true; return }
                    position += UInt64(have)
                    start = 0
                }
                stream.next_in = input + start
                stream.avail_in = UInt32(have - start)
                start = have
                let rc = inflate(&stream, Z_NO_FLUSH)
                if rc == Z_STREAM_END { break }
                guard rc == Z_OK || rc == Z_BUF_ERROR, stream.avail_in == 0, stream.avail_out > 0 else { failed = true; return }
            }
            count = room - Int(stream.avail_out)
        }
        return failed || out.count != size ? nil : out
    }

    /// `inflateAll`'s fast path: nil when it cannot settle the entry.
    private func inflateAtOnce(_ e: Entry, size: Int) -> [UInt8]? {
        // A zlib stream of n bytes takes at most n + 11 (stored blocks): 64 bytes of slack are plenty.
        let want = size + 64
        guard let decompressor, size > 0, want <= Self.chunk else { return nil }
        let position = e.data
        func heldHas(_ count: Int) -> Bool {
            held.pack == e.pack && position >= held.offset && position + UInt64(count) <= held.offset + UInt64(held.count)
        }
        if !heldHas(want) {
            let have = pread(index.packs[e.pack].fd, input, want, off_t(position))
            held = (e.pack, position, max(have, 0))
            guard have > 0 else { return nil }
        }
        let start = Int(position - held.offset)
        let available = min(held.count - start, want)
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            var consumed = 0, produced = 0
            let rc = libdeflate_zlib_decompress_ex(decompressor, input + start, available, buf.baseAddress, size, &consumed, &produced)
            ok = rc == LIBDEFLATE_SUCCESS && produced == size
            count = ok ? size : 0
        }
        return ok ? out : nil
    }

    /// The base and result sizes at the start of a delta.
    static func deltaSizes(_ d: [UInt8]) -> (base: Int, result: Int, start: Int)? {
        var i = 0
        func number() -> Int? {
            var value = 0, shift = 0
            while i < d.count {
                let b = d[i]
                i += 1
                guard shift < 57 else { return nil }
                value |= Int(b & 0x7F) << shift
                shift += 7
                if b & 0x80 == 0 { return value }
            }
            return nil
        }
        guard let base = number(), let result = number() else { return nil }
        return (base, result, i)
    }

    /// Applies a delta (copy and insert instructions) to its base; nil when they do not fit together.
    static func apply(_ d: [UInt8], to base: [UInt8]) -> [UInt8]? {
        guard let (baseSize, size, start) = deltaSizes(d), baseSize == base.count else { return nil }
        var failed = false
        let out = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            var i = start, o = 0
            d.withUnsafeBufferPointer { d in
                base.withUnsafeBufferPointer { base in
                    while i < d.count {
                        let op = d[i]
                        i += 1
                        if op & 0x80 != 0 {
                            // Copy from the base: offset and length bytes present per bit.
                            var offset = 0, length = 0
                            for bit in 0..<4 where op & (1 << bit) != 0 {
                                guard i < d.count else { failed = true; return }
                                offset |= Int(d[i]) << (8 * bit)
                                i += 1
                            }
                            for bit in 0..<3 where op & (0x10 << bit) != 0 {
                                guard i < d.count else { failed = true; return }
                                length |= Int(d[i]) << (8 * bit)
                                i += 1
                            }
                            if length == 0 { length = 0x10000 }
                            guard offset + length <= base.count, o + length <= size else { failed = true; return }
                            (buf.baseAddress! + o).initialize(from: base.baseAddress! + offset, count: length)
                            o += length
                        } else if op != 0 {
                            // Insert the next `op` bytes.
                            let length = Int(op)
                            guard i + length <= d.count, o + length <= size else { failed = true; return }
                            (buf.baseAddress! + o).initialize(from: d.baseAddress! + i, count: length)
                            i += length
                            o += length
                        } else {
                            failed = true
                            return
                        }
                    }
                }
            }
            count = o
            if o != size { failed = true }
        }
        return failed ? nil : out
    }
}
