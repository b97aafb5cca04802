import Foundation

/// One unit of evidence an auditor can cite, as a collector hands it to the store.
///
/// `data` holds the normalized facts (already redacted); `blobSHA256` names the raw
/// artifact stored with `CaptureSink.storeBlob`. An item with `isError` records that
/// something could not be read, and why.
public struct EvidenceItem: Sendable, Hashable {
    public var kind: String
    public var subject: String
    public var origin: String
    public var data: JSONValue
    public var blobSHA256: String?
    public var isError: Bool

    public init(kind: String, subject: String, origin: String, data: JSONValue = .object([:]),
                blobSHA256: String? = nil, isError: Bool = false) {
        self.kind = kind
        self.subject = subject
        self.origin = origin
        self.data = data
        self.blobSHA256 = blobSHA256
        self.isError = isError
    }

    /// An error item: what failed, where, and what to do.
    public static func error(source: String, subject: String, origin: String, message: String,
                             details: [String: JSONValue] = [:]) -> EvidenceItem {
        var data = details
        data["error"] = .string(message)
        return EvidenceItem(kind: "\(source).error", subject: subject, origin: origin, data: .object(data), isError: true)
    }

    /// The item hash: covers every stored field, in a fixed order.
    public func sha256(source: String) -> String {
        Self.hash(source: source, kind: kind, subject: subject, origin: origin, dataText: data.canonicalText,
                  blobSHA256: blobSHA256, status: isError ? "error" : "ok")
    }

    /// The item hash given its already encoded data.
    func sha256(source: String, dataText: String) -> String {
        Self.hash(source: source, kind: kind, subject: subject, origin: origin, dataText: dataText,
                  blobSHA256: blobSHA256, status: isError ? "error" : "ok")
    }

    /// The item hash from stored columns (used by `vouch verify`).
    public static func hash(source: String, kind: String, subject: String, origin: String, dataText: String,
                            blobSHA256: String?, status: String) -> String {
        var h = FieldHasher(domain: "vouch.item.v1")
        h.add(source); h.add(kind); h.add(subject); h.add(origin); h.add(dataText)
        h.add(optional: blobSHA256); h.add(status)
        return h.finalizeHex()
    }
}

/// An item with its data encoded and its hash computed, ready for `CaptureSink.add(_:)`: the
/// encoding and hashing can then run off the writer thread.
public struct PreparedItem: Sendable {
    public let item: EvidenceItem
    public let source: String
    let dataText: String
    let sha256: String

    public init(_ item: EvidenceItem, source: String) {
        self.item = item
        self.source = source
        dataText = item.data.canonicalText
        sha256 = item.sha256(source: source, dataText: dataText)
    }
}

/// Makes any byte string safe to show and store as text, losslessly:
/// valid UTF-8 stays as it is, other bytes become `\xNN` (and a literal backslash `\\`).
public enum SafeText {
    public static func from(bytes: [UInt8]) -> String {
        // Printable ASCII without a backslash: as it is.
        if !bytes.contains(where: { $0 < 0x20 || $0 >= 0x7F || $0 == 0x5C }) { return String(decoding: bytes, as: UTF8.self) }
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x5C { out.append(0x5C); out.append(0x5C) }
                else if b < 0x20 || b == 0x7F { out.append(contentsOf: [0x5C, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)]]) }
                else { out.append(b) }
                i += 1
            } else {
                let len = utf8SequenceLength(bytes, at: i)
                if len > 0 {
                    out.append(contentsOf: bytes[i..<i + len])
                    i += len
                } else {
                    out.append(contentsOf: [0x5C, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)]])
                    i += 1
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `needle` occurs in `text`, comparing UTF-8 bytes (no Foundation, no locale).
    public static func contains(_ text: String, _ needle: String) -> Bool { byteRange(of: needle, in: text) != nil }

    /// The byte offsets of the first (or last) occurrence of `needle` in `text`'s UTF-8.
    public static func byteRange(of needle: String, in text: String, last: Bool = false) -> Range<Int>? {
        var text = text, needle = needle
        return text.withUTF8 { t -> Range<Int>? in
            needle.withUTF8 { n -> Range<Int>? in
                if n.isEmpty { return 0..<0 }
                guard t.count >= n.count else { return nil }
                let first = n[0], span = t.count - n.count
                if last {
                    var i = span
                    while i >= 0 {
                        if t[i] == first, memcmp(t.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i..<i + n.count }
                        i -= 1
                    }
                    return nil
                }
                var i = 0
                while i <= span {
                    guard let p = memchr(t.baseAddress! + i, Int32(first), span - i + 1) else { return nil }
                    i = UnsafeRawPointer(p) - UnsafeRawPointer(t.baseAddress!)
                    if memcmp(t.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i..<i + n.count }
                    i += 1
                }
                return nil
            }
        }
    }

    /// Whether the bytes are valid UTF-8 with no control characters.
    public static func isPlain(_ bytes: [UInt8]) -> Bool { from(bytes: bytes) == String(decoding: bytes, as: UTF8.self) }

    /// The length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not one.
    public static func utf8SequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let c = b[i]
        let n: Int
        switch c {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: n = 2
        case 0xE0...0xEF: n = 3
        case 0xF0...0xF4: n = 4
        default: return 0
        }
        guard i + n <= b.count else { return 0 }
        for k in 1..<n where b[i + k] & 0xC0 != 0x80 { return 0 }
        if n == 3, c == 0xE0, b[i + 1] < 0xA0 { return 0 }
        if n == 3, c == 0xED, b[i + 1] > 0x9F { return 0 }
        if n == 4, c == 0xF0, b[i + 1] < 0x90 { return 0 }
        if n == 4, c == 0xF4, b[i + 1] > 0x8F { return 0 }
        return n
    }
}
