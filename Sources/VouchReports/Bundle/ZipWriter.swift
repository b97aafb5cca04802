import Foundation
import ZIPFoundation

/// A streaming, deterministic ZIP writer: fixed entry dates (1980-01-01), fixed permissions,
/// entries in the order written, no extra fields unless ZIP64 needs them.
///
/// ZIPFoundation's `Archive.addEntry` rewrites the whole central directory for every entry
/// (quadratic for a bundle with 100,000 blobs), so the container is written here; deflate and
/// CRC-32 come from ZIPFoundation, and bundles are read back with `ZIPFoundation.Archive`.
final class ZipWriter {
    private let handle: FileHandle
    private var offset: UInt64 = 0
    private var central = Data()
    private var count: UInt64 = 0
    let path: String

    private struct Pending {
        var headerOffset: UInt64
        var name: [UInt8]
        var method: UInt16
        var zip64: Bool
    }

    init(path: String) throws {
        self.path = path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw BundleError.cannotWrite(path, "cannot create the file") }
        handle = h
        try handle.truncate(atOffset: 0)
    }

    /// Adds one file whose bytes `read` returns in order (empty `Data` at the end).
    /// `observe` sees every chunk of the uncompressed content (for hashing while streaming).
    func add(_ name: String, size: Int64, compress: Bool, read: () throws -> Data, observe: (Data) -> Void = { _ in }) throws {
        let nameBytes = Array(name.utf8)
        let zip64 = size >= 0xFFFF_0000 || offset >= 0xFFFF_FFFF
        let method: UInt16 = compress ? 8 : 0
        let pending = Pending(headerOffset: offset, name: nameBytes, method: method, zip64: zip64)
        try write(localHeader(pending, crc: 0, compressed: 0, uncompressed: UInt64(size)))
        var crc: CRC32 = 0
        var uncompressed: UInt64 = 0
        var compressedSize: UInt64 = 0
        if compress {
            // Chunks from `read` are re-cut to the sizes deflate asks for, without shifting buffers.
            var buffer = Data()
            var start = 0
            var done = false
            crc = try Data.compress(size: size, bufferSize: 1 << 16, provider: { _, chunk in
                var out = Data(capacity: chunk)
                while out.count < chunk {
                    if start >= buffer.endIndex {
                        if done { break }
                        let next = try read()
                        if next.isEmpty { done = true; continue }
                        observe(next)
                        uncompressed += UInt64(next.count)
                        buffer = next
                        start = buffer.startIndex
                    }
                    let take = min(chunk - out.count, buffer.endIndex - start)
                    out.append(buffer[start..<start + take])
                    start += take
                }
                return out
            }, consumer: { data in
                try self.write(data)
                compressedSize += UInt64(data.count)
            })
            while !done { let next = try read(); if next.isEmpty { done = true } else { observe(next); uncompressed += UInt64(next.count) } }
        } else {
            while true {
                let next = try read()
                if next.isEmpty { break }
                observe(next)
                crc = next.crc32(checksum: crc)
                uncompressed += UInt64(next.count)
                try write(next)
            }
            compressedSize = uncompressed
        }
        guard uncompressed == UInt64(size) else {
            throw BundleError.cannotWrite(path, "\(name) changed size while it was written (\(uncompressed) bytes, \(size) expected)")
        }
        // Patch the local header with the CRC and sizes now that they are known.
        let end = offset
        try handle.seek(toOffset: pending.headerOffset)
        try handle.write(contentsOf: localHeader(pending, crc: crc, compressed: compressedSize, uncompressed: uncompressed))
        try handle.seek(toOffset: end)
        central.append(centralHeader(pending, crc: crc, compressed: compressedSize, uncompressed: uncompressed))
        count += 1
    }

    /// Adds bytes held in memory.
    func add(_ name: String, data: Data, compress: Bool = true) throws {
        var sent = false
        try add(name, size: Int64(data.count), compress: compress, read: {
            if sent { return Data() }
            sent = true
            return data
        })
    }

    /// Writes the central directory and closes the file.
    func finish() throws {
        let cdOffset = offset
        try write(central)
        let cdSize = UInt64(central.count)
        if count >= 0xFFFF || cdOffset >= 0xFFFF_FFFF || cdSize >= 0xFFFF_FFFF {
            let eocd64Offset = offset
            var z = Data()
            z.le32(0x0606_4b50); z.le64(44); z.le16(45); z.le16(45); z.le32(0); z.le32(0)
            z.le64(count); z.le64(count); z.le64(cdSize); z.le64(cdOffset)
            z.le32(0x0706_4b50); z.le32(0); z.le64(eocd64Offset); z.le32(1)
            try write(z)
        }
        var e = Data()
        e.le32(0x0605_4b50); e.le16(0); e.le16(0)
        e.le16(UInt16(min(count, 0xFFFF))); e.le16(UInt16(min(count, 0xFFFF)))
        e.le32(UInt32(min(cdSize, 0xFFFF_FFFF))); e.le32(UInt32(min(cdOffset, 0xFFFF_FFFF))); e.le16(0)
        try write(e)
        try handle.close()
    }

    private func write(_ data: Data) throws {
        try handle.write(contentsOf: data)
        offset += UInt64(data.count)
    }

    private func localHeader(_ p: Pending, crc: CRC32, compressed: UInt64, uncompressed: UInt64) -> Data {
        var d = Data()
        d.le32(0x0403_4b50); d.le16(p.zip64 ? 45 : 20); d.le16(0x0800); d.le16(p.method)
        d.le16(0); d.le16(0x21)  // 00:00:00, 1980-01-01
        d.le32(crc)
        if p.zip64 {
            d.le32(0xFFFF_FFFF); d.le32(0xFFFF_FFFF); d.le16(UInt16(p.name.count)); d.le16(20)
            d.append(contentsOf: p.name)
            d.le16(0x0001); d.le16(16); d.le64(uncompressed); d.le64(compressed)
        } else {
            d.le32(UInt32(compressed)); d.le32(UInt32(uncompressed)); d.le16(UInt16(p.name.count)); d.le16(0)
            d.append(contentsOf: p.name)
        }
        return d
    }

    private func centralHeader(_ p: Pending, crc: CRC32, compressed: UInt64, uncompressed: UInt64) -> Data {
        let big = p.zip64 || p.headerOffset >= 0xFFFF_FFFF
        var d = Data()
        d.le32(0x0201_4b50); d.le16(0x0300 | 45); d.le16(big ? 45 : 20); d.le16(0x0800); d.le16(p.method)
        d.le16(0); d.le16(0x21); d.le32(crc)
        d.le32(big ? 0xFFFF_FFFF : UInt32(compressed)); d.le32(big ? 0xFFFF_FFFF : UInt32(uncompressed))
        d.le16(UInt16(p.name.count)); d.le16(big ? 28 : 0); d.le16(0); d.le16(0); d.le16(0)
        d.le32(UInt32(0o100644) << 16)
        d.le32(big ? 0xFFFF_FFFF : UInt32(p.headerOffset))
        d.append(contentsOf: p.name)
        if big { d.le16(0x0001); d.le16(24); d.le64(uncompressed); d.le64(compressed); d.le64(p.headerOffset) }
        return d
    }
}

extension Data {
    mutating func le16(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
}
