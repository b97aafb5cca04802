import Foundation
import GRDB
import VouchCore

/// The generic `files` source: snapshots files verbatim (path, mode, size, mtime, SHA-256, content).
///
/// It streams content in 1 MiB chunks (bounded memory), never follows a symbolic link
/// (links are recorded with their target, flagged when it points outside the root),
/// and reuses the previous capture's hash for a file whose size, times and inode are
/// unchanged (as git's index does; `rehash: true` in the profile turns that off).
/// PEM private-key blocks in small text files are replaced by fingerprints before storage.
public struct FilesCollector: Collector {
    public let source = "files"
    public let targetSyntax = "DIR_OR_GLOB"
    public let summary = "files and folders verbatim: path, mode, size, mtime, SHA-256 and content (streamed; links never followed)"
    /// Files up to this size are scanned for private keys before they are stored.
    static let scanLimit = 16 << 20

    public init() {}

    public func collect(_ request: CollectRequest, into sink: CaptureSink) throws {
        let roots = try expand(request)
        let rehash = request.options["rehash"]?.boolValue ?? false
        let previous = rehash ? [:] : try sink.previousItems(kind: "file")
        let previousStart = try previousSourceStart(sink)
        var count = 0
        for root in roots {
            let rootBytes = Array(root.utf8)
            let walker = FileWalker(
                excludes: request.stringList("exclude"),
                visit: { entry in
                    try self.record(entry, root: rootBytes, sink: sink, request: request, previous: previous, previousStart: previousStart)
                    count += 1
                    if count % 500 == 0 { request.progress("files: \(count) entries") }
                },
                failed: { path, rel, reason in
                    try sink.addError(subject: SafeText.from(bytes: rel.isEmpty ? path : rel), origin: SafeText.from(bytes: path),
                                      message: "cannot read this folder: \(reason); grant read access or exclude it")
                })
            try walker.walk(root: rootBytes)
        }
    }

    /// Resolves the target: a path, or a glob whose matches are each walked.
    func expand(_ request: CollectRequest) throws -> [String] {
        let path = request.targetURL.path
        guard path.contains(where: { "*?[".contains($0) }) else { return [path] }
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(path, 0, nil, &g)
        if rc == GLOB_NOMATCH { return [] }
        guard rc == 0 else {
            throw CollectError.sourceFailed(source: source, target: request.target, reason: "the pattern could not be expanded (glob error \(rc))")
        }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    private func previousSourceStart(_ sink: CaptureSink) throws -> Int64? {
        guard let prev = try sink.previousCaptureID() else { return nil }
        let text = try String.fetchOne(sink.db, sql: "SELECT started_at FROM capture WHERE id = ?", arguments: [prev])
        return text.flatMap(Timestamp.parse).map { Int64($0.timeIntervalSince1970 * 1_000_000_000) }
    }

    private func record(_ e: WalkEntry, root: [UInt8], sink: CaptureSink, request: CollectRequest,
                        previous: [String: CaptureSink.PreviousItem], previousStart: Int64?) throws {
        let subject = SafeText.from(bytes: e.relative)
        let origin = SafeText.from(bytes: e.path)
        var data: [String: JSONValue] = [
            "path": .string(subject),
            "mode": .string(Self.octal(Int(e.st.st_mode & 0o7777))),
            "uid": .int(Int64(e.st.st_uid)), "gid": .int(Int64(e.st.st_gid)),
            "mtime": .string(Timestamp.string(epochSeconds: Int64(e.st.st_mtim.tv_sec), millis: Int(e.st.st_mtim.tv_nsec / 1_000_000))),
        ]
        if !SafeText.isPlain(e.relative) {
            data["path_hex"] = .string(Hashing.hex(e.relative))
        }
        switch e.st.st_mode & S_IFMT {
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(cPath(e.path), &buf, 4095)
            let target = n >= 0 ? buf[0..<n].map { UInt8(bitPattern: $0) } : []
            data["type"] = "symlink"
            data["link_target"] = .string(SafeText.from(bytes: target))
            data["inside_root"] = .bool(Self.linkStaysInside(link: e.path, target: target, root: root))
            try sink.add(EvidenceItem(kind: "file.symlink", subject: subject, origin: origin, data: .object(data)))
        case S_IFREG:
            try recordFile(e, data: data, subject: subject, origin: origin, sink: sink, request: request, previous: previous,
                           previousStart: previousStart)
        default:
            let type: String
            switch e.st.st_mode & S_IFMT {
            case S_IFIFO: type = "fifo"
            case S_IFSOCK: type = "socket"
            case S_IFCHR: type = "char-device"
            case S_IFBLK: type = "block-device"
            default: type = "other"
            }
            data["type"] = .string(type)
            try sink.add(EvidenceItem(kind: "file.special", subject: subject, origin: origin, data: .object(data)))
        }
    }

    private func recordFile(_ e: WalkEntry, data base: [String: JSONValue], subject: String, origin: String, sink: CaptureSink,
                            request: CollectRequest, previous: [String: CaptureSink.PreviousItem],
                            previousStart: Int64?) throws {
        var data = base
        data["type"] = "file"
        data["size"] = .int(Int64(e.st.st_size))
        data["inode"] = .int(Int64(e.st.st_ino))
        data["ctime_ns"] = .int(Int64(e.st.st_ctim.tv_sec) * 1_000_000_000 + Int64(e.st.st_ctim.tv_nsec))
        let mtimeNS = Int64(e.st.st_mtim.tv_sec) * 1_000_000_000 + Int64(e.st.st_mtim.tv_nsec)
        data["mtime_ns"] = .int(mtimeNS)
        // Unchanged since the previous capture (and not modified during it): reuse its hash and blob.
        // The rebuilt metadata, with the recorded hash, must match the recorded item byte for byte.
        if let prev = previous[subject], let prevStart = previousStart, mtimeNS < prevStart, let blob = prev.blobSHA256,
           let sha = Self.field("sha256", in: prev.data), try sink.blobExists(blob)
        {
            data["sha256"] = .string(sha)
            if prev.data.contains("\"redacted\":true") { data["redacted"] = true }
            if JSONValue.object(data).canonicalText == prev.data {
                sink.reuse(prev, subject: subject)
                return
            }
            data["sha256"] = nil
            data["redacted"] = nil
        }
        let fd = open(cPath(e.path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            try sink.addError(subject: subject, origin: origin,
                              message: "cannot read this file: \(errnoText()); grant read access to the user running vouch, or exclude it")
            return
        }
        defer { close(fd) }
        var fst = stat()
        guard fstat(fd, &fst) == 0, (fst.st_mode & S_IFMT) == S_IFREG, fst.st_ino == e.st.st_ino else {
            try sink.addError(subject: subject, origin: origin, message: "the file changed while it was read; collect again")
            return
        }
        var readError: String?
        if e.st.st_size <= Self.scanLimit {
            // Read a small file whole into one buffer sized from stat (grown if it grew meanwhile).
            var content = Data(count: Int(e.st.st_size) + 1)
            var filled = 0
            while true {
                if filled == content.count {
                    if content.count > Self.scanLimit * 2 { break }
                    content.count *= 2
                }
                let n = content.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
                if n < 0 { readError = errnoText(); break }
                if n == 0 { break }
                filled += n
            }
            content.count = filled
            if let readError {
                try sink.addError(subject: subject, origin: origin, message: "cannot read this file: \(readError)")
                return
            }
            data["size"] = .int(Int64(content.count))
            data["sha256"] = .string(Hashing.sha256Hex(content))
            var stored = content
            if content.range(of: Data("PRIVATE KEY-----".utf8)) != nil, let text = String(data: content, encoding: .utf8) {
                stored = Data(Redactor.scrubPEMPrivateKeys(text, redactor: request.redactor).utf8)
                data["redacted"] = true
                // The hash of a file that held a key is itself only a fingerprint of it.
            }
            let blob = try sink.storeBlob(stored)
            try sink.add(EvidenceItem(kind: "file", subject: subject, origin: origin, data: .object(data), blobSHA256: blob))
        } else {
            let (sha, size): (String, Int64)
            do {
                (sha, size) = try sink.storeBlob(streaming: {
                    var buf = Data(count: BlobIO.chunkSize)
                    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, BlobIO.chunkSize) }
                    if n < 0 { throw FileReadError(reason: errnoText()) }
                    buf.count = n
                    return buf
                })
            } catch let e as FileReadError {
                try sink.addError(subject: subject, origin: origin, message: "cannot read this file: \(e.reason)")
                return
            }
            data["size"] = .int(size)
            data["sha256"] = .string(sha)
            try sink.add(EvidenceItem(kind: "file", subject: subject, origin: origin, data: .object(data), blobSHA256: sha))
        }
    }

    /// A string field of canonical JSON text, without parsing the whole document.
    static func field(_ name: String, in json: String) -> String? {
        guard let r = json.range(of: "\"\(name)\":\"") else { return nil }
        let rest = json[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    struct FileReadError: Error { var reason: String }

    static func octal(_ v: Int) -> String {
        let s = String(v, radix: 8)
        return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
    }

    /// Whether a link's target, resolved lexically from the link's folder, stays under the root.
    static func linkStaysInside(link: [UInt8], target: [UInt8], root: [UInt8]) -> Bool {
        let linkDir = Array(link.split(separator: 47, omittingEmptySubsequences: false).dropLast().joined(separator: [47]))
        let full = target.first == 47 ? target : linkDir + [47] + target
        var parts: [[UInt8]] = []
        for p in full.split(separator: 47) {
            if p.elementsEqual([46]) { continue }
            if p.elementsEqual([46, 46]) { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(Array(p))
        }
        let rootParts = root.split(separator: 47).map(Array.init).filter { $0 != [46] }
        guard parts.count >= rootParts.count else { return false }
        return Array(parts.prefix(rootParts.count)) == rootParts
    }
}
