import CVouchZlib
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
    /// With `compress`, content whose first 64 KiB do not shrink by a tenth under fast deflate (random
    /// data, images, archives) is stored as it is: deflating it again costs time and saves nothing.
    func add(_ name: String, size: Int64, compress: Bool, read: () throws -> Data, observe: (Data) -> Void = { _ in }) throws {
        let nameBytes = Array(name.utf8)
        let zip64 = size >= 0xFFFF_0000 || offset >= 0xFFFF_FFFF
        let first = try read()
        let deflating = compress && !Self.looksIncompressible(first)
        let pending = Pending(headerOffset: offset, name: nameBytes, method: deflating ? 8 : 0, zip64: zip64)
        try write(localHeader(pending, crc: 0, compressed: 0, uncompressed: UInt64(size)))
        var crc: uLong = crc32(0, nil, 0)
        var uncompressed: UInt64 = 0
        var compressedSize: UInt64 = 0
        let deflater = deflating ? try Deflater() : nil
        var next = first
        while true {
            if !next.isEmpty {
                observe(next)
                crc = next.withUnsafeBytes { crc32(crc, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)) }
                uncompressed += UInt64(next.count)
            }
            if let deflater {
                try deflater.feed(next, finish: next.isEmpty) { out in
                    try write(out)
                    compressedSize += UInt64(out.count)
                }
            } else if !next.isEmpty {
                try write(next)
                compressedSize += UInt64(next.count)
            }
            if next.isEmpty { break }
            next = try read()
        }
        guard uncompressed == UInt64(size) else {
            throw BundleError.cannotWrite(path, "\(name) changed size while it was written (\(uncompressed) bytes, \(size) expected)")
        }
        // Patch the local header with the CRC and sizes now that they are known.
        let end = offset
        try handle.seek(toOffset: pending.headerOffset)
        try handle.write(contentsOf: localHeader(pending, crc: CRC32(crc), compressed: compressedSize, uncompressed: uncompressed))
        try handle.seek(toOffset: end)
        central.append(centralHeader(pending, crc: CRC32(crc), compressed: compressedSize, uncompressed: uncompressed))
        count += 1
    }

    /// Whether fast deflate of the first 64 KiB saves less than a tenth (too little to be worth deflating).
    static func looksIncompressible(_ head: Data) -> Bool {
        let sample = head.prefix(64 << 10)
        guard sample.count >= 4096 else { return false }
        // zlib keeps a pointer back to its stream: the stream must not move, so it lives on the heap.
        let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        z.initialize(to: z_stream())
        defer { z.deallocate() }
        guard vouch_deflate_init_raw(z, 1) == Z_OK else { return false }
        defer { deflateEnd(z) }
        var out = [UInt8](repeating: 0, count: sample.count + 1024)
        var input = Data(sample)
        let produced: Int = input.withUnsafeMutableBytes { raw in
            out.withUnsafeMutableBufferPointer { output in
                z.pointee.next_in = raw.bindMemory(to: Bytef.self).baseAddress
                z.pointee.avail_in = uInt(raw.count)
                z.pointee.next_out = output.baseAddress
                z.pointee.avail_out = uInt(output.count)
                _ = deflate(z, Z_FINISH)
                return output.count - Int(z.pointee.avail_out)
            }
        }
        return produced * 10 > sample.count * 9
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

/// A raw deflate stream (zlib, default level, as ZIPFoundation wrote entries before). zlib keeps a
/// pointer back to its stream, so the stream lives on the heap and never moves.
private final class Deflater {
    private let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var buffer = [UInt8](repeating: 0, count: 1 << 17)
    private var open = false

    init() throws {
        z.initialize(to: z_stream())
        guard vouch_deflate_init_raw(z, Z_DEFAULT_COMPRESSION) == Z_OK else {
            z.deallocate()
            throw BundleError.cannotWrite("zip", "zlib would not start")
        }
        open = true
    }

    deinit {
        if open { deflateEnd(z) }
        z.deallocate()
    }

    /// Deflates `data` (and, with `finish`, ends the stream), handing each output piece to `emit`.
    func feed(_ data: Data, finish: Bool, emit: (Data) throws -> Void) throws {
        var input = data
        try input.withUnsafeMutableBytes { raw in
            z.pointee.next_in = raw.bindMemory(to: Bytef.self).baseAddress
            z.pointee.avail_in = uInt(raw.count)
            while true {
                let (rc, produced): (Int32, Int) = buffer.withUnsafeMutableBufferPointer { out in
                    z.pointee.next_out = out.baseAddress
                    z.pointee.avail_out = uInt(out.count)
                    let rc = deflate(z, finish ? Z_FINISH : Z_NO_FLUSH)
                    return (rc, out.count - Int(z.pointee.avail_out))
                }
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw BundleError.cannotWrite("zip", "zlib failed (\(rc))")
                }
                if produced > 0 { try emit(Data(buffer[0..<produced])) }
                // Done when zlib has taken all input and had room to spare (or, finishing, ended the stream).
                if finish ? rc == Z_STREAM_END : z.pointee.avail_out > 0 { break }
            }
        }
        if finish {
            deflateEnd(z)
            open = false
        }
    }
}

extension Data {
    mutating func le16(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func le64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
}
