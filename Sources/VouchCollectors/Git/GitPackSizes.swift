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

    init(objectsDirectory: String) {
        let dir = objectsDirectory + "/pack"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        packs = names.sorted().filter { $0.hasSuffix(".idx") }.compactMap {
            Self.open(index: dir + "/" + $0, pack: dir + "/" + $0.dropLast(4) + ".pack")
        }
    }

    deinit {
        for p in packs {
            munmap(UnsafeMutableRawPointer(mutating: p.index), p.indexLength)
            close(p.fd)
        }
    }

    /// The pack file and offset of an object, or nil when it is in none of these packs.
    func locate(_ oid: UnsafePointer<git_oid>) -> (fd: Int32, offset: UInt64)? {
        for p in packs {
            if let offset = Self.find(oid, in: p) { return (p.fd, offset) }
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
        // Magic "\377tOc", version 2, then the fan-out table, ids, CRCs, offsets (4 bytes each), large offsets.
        guard be32(p, 0) == 0xFF74_4F63, be32(p, 4) == 2, length >= 8 + 1024 + count * 28 + 40,
              case let pfd = Foundation.open(pack, O_RDONLY | O_CLOEXEC), pfd >= 0
        else {
            munmap(map, length)
            return nil
        }
        return Pack(index: p, indexLength: length, count: count, fd: pfd)
    }

    /// The pack offset of an object, by binary search within its fan-out bucket.
    private static func find(_ oid: UnsafePointer<git_oid>, in p: Pack) -> UInt64? {
        let first = withUnsafeBytes(of: oid.pointee.id) { Int($0[0]) }
        var lo = first == 0 ? 0 : Int(be32(p.index, 8 + (first - 1) * 4))
        var hi = Int(be32(p.index, 8 + first * 4))
        guard lo <= hi, hi <= p.count else { return nil }
        let ids = p.index + 8 + 1024
        var found: Int?
        withUnsafeBytes(of: oid.pointee.id) { key in
            while lo < hi {
                let mid = (lo + hi) / 2
                let c = memcmp(ids + mid * 20, key.baseAddress!, 20)
                if c == 0 { found = mid; return }
                if c < 0 { lo = mid + 1 } else { hi = mid }
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

/// Blob sizes read from the pack files directly, so a blob over the size limit is never loaded.
///
/// libgit2's `git_odb_read_header` follows a delta's whole chain of bases to learn the object's type,
/// taking the pack locks shared by every reader at each step: on a large history it cost as much as a
/// sixth of the run. The size alone needs none of that: it is in the entry's own header, or, for a
/// delta, in the first bytes of the delta. The caller knows the object is a blob from its tree entry,
/// and libgit2 checks the type when it reads the blob.
///
/// An object found in none of the indexes (loose, in an alternate, in a pack written after they were
/// mapped), or whose entry cannot be read, gets `nil` and the caller asks libgit2. One instance per
/// reader thread.
final class GitPackSizes {
    let index: GitPackIndex
    private var stream = z_stream()
    private var streamReady = false
    /// Pack bytes read at a time, and the start of a delta inflated.
    private static let chunk = 256, deltaStart = 20
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
    private let output = UnsafeMutablePointer<UInt8>.allocate(capacity: deltaStart)

    init(index: GitPackIndex) {
        self.index = index
        streamReady = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    }

    convenience init(objectsDirectory: String) {
        self.init(index: GitPackIndex(objectsDirectory: objectsDirectory))
    }

    deinit {
        if streamReady { inflateEnd(&stream) }
        input.deallocate()
        output.deallocate()
    }

    /// The size of the object with this id, or nil when it is not in these packs or cannot be read here.
    func size(of oid: UnsafePointer<git_oid>) -> Int? {
        guard streamReady, let (fd, offset) = index.locate(oid) else { return nil }
        return entrySize(fd, at: offset)
    }

    /// The size in an entry's header, or for a delta the result size at the start of the delta.
    private func entrySize(_ fd: Int32, at offset: UInt64) -> Int? {
        let buf = input
        var have = pread(fd, buf, Self.chunk, off_t(offset))
        guard have > 0 else { return nil }
        var i = 0
        var b = buf[0]
        let type = (b >> 4) & 7
        var size = Int(b & 15), shift = 4
        while b & 0x80 != 0 {
            i += 1
            guard i < have, shift < 57 else { return nil }
            b = buf[i]
            size |= Int(b & 0x7F) << shift
            shift += 7
        }
        i += 1
        switch type {
        case 1, 2, 3, 4: return size           // commit, tree, blob, tag: the size is the object's
        case 6:                                  // offset delta: skip the base's distance
            while i < have, buf[i] & 0x80 != 0 { i += 1 }
            i += 1
        case 7: i += 20                          // reference delta: skip the base's id
        default: return nil
        }
        guard i < have else { return nil }
        // The delta starts with the base's size and the result's size, as base-128 numbers.
        guard inflateReset(&stream) == Z_OK else { return nil }
        var produced = 0
        var position = offset + UInt64(i)
        var start = i
        while true {
            stream.next_in = buf + start
            stream.avail_in = UInt32(have - start)
            stream.next_out = output + produced
            stream.avail_out = UInt32(Self.deltaStart - produced)
            let rc = inflate(&stream, Z_SYNC_FLUSH)
            produced = Self.deltaStart - Int(stream.avail_out)
            if let size = Self.resultSize(output, produced) { return size }
            guard rc == Z_OK || rc == Z_BUF_ERROR, produced < Self.deltaStart, stream.avail_in == 0 else { return nil }
            // More input needed: the next bytes of the pack.
            position += UInt64(have - start)
            have = pread(fd, buf, Self.chunk, off_t(position))
            guard have > 0 else { return nil }
            start = 0
        }
    }

    /// The second base-128 number at the start of a delta (the result size), once both are complete.
    private static func resultSize(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var numbers = 0
        var value = 0, shift = 0
        for b in UnsafeBufferPointer(start: bytes, count: count) {
            guard shift < 57 else { return nil }
            value |= Int(b & 0x7F) << shift
            shift += 7
            if b & 0x80 == 0 {
                numbers += 1
                if numbers == 2 { return value }
                value = 0
                shift = 0
            }
        }
        return nil
    }
}
