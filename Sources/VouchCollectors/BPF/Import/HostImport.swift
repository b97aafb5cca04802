import Foundation
import VouchCore

/// The imported files of one host: read them all, then write facts (a dump needs its map's
/// metadata from `map show`, wherever the files sort).
struct HostImport {
    let request: CollectRequest
    let sink: CaptureSink
    let host: String

    var programs: [(BPFProgramRecord, String)] = []
    var maps: [UInt32: (BPFMapRecord, String)] = [:]
    var dumps: [(hint: MapHint, dump: BPFToolJSON.Dump, file: String)] = []
    var links: [(BPFLinkRecord, String)] = []
    var policies: [(endpointID: Int64?, path: String?, entries: [JSONValue], file: String)] = []
    var endpoints: [(CiliumJSON.Endpoint, String)] = []
    var identities: [(id: Int64, labels: [String], file: String)] = []

    init(request: CollectRequest, sink: CaptureSink, host: String) {
        self.request = request
        self.sink = sink
        self.host = host
    }

    /// Which map a dump belongs to, from its file name or a leading comment.
    struct MapHint {
        var id: UInt32?
        var name: String?
        var pinned: String?
    }

    enum FileKind: String {
        case programs = "bpftool prog show", maps = "bpftool map show", links = "bpftool link show", dump = "bpftool map dump"
        case multiDump = "bpftool map dump (several maps)", policyAll = "cilium-dbg bpf policy get --all"
        case policy = "cilium-dbg bpf policy get", endpoints = "cilium-dbg endpoint list", identities = "cilium-dbg identity list"
        case net = "bpftool net show", perf = "bpftool perf show", empty = "empty list"
    }

    mutating func read(rel: String, url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            try sink.addError(subject: rel, origin: url.path, message: "cannot read \(rel): \(error.localizedDescription)")
            return
        }
        let text = request.redactor.scrub(String(decoding: data, as: UTF8.self))
        let blob = try sink.storeBlob(Data(text.utf8))
        // Comment lines (`# bpftool map dump pinned …`) become blank lines: JSON errors keep their line numbers.
        var hint = Self.hint(fileName: url.lastPathComponent)
        let (body, comments) = Self.blankComments(text)
        for c in comments { Self.hint(comment: c, into: &hint) }
        let first = body.utf8.first { !Self.isSpace($0) && $0 != 0x0A && $0 != 0x0D }
        // A `.json…` name means JSON was meant: a broken one is reported as JSON, with its line.
        if !(first == UInt8(ascii: "[") || first == UInt8(ascii: "{") || url.lastPathComponent.contains(".json")) {
            do {
                if let entries = try PlainDump.parse(body) {
                    var c: MapContents?
                    for e in entries {
                        if c == nil { c = MapContents(keySize: e.key.count, valueStride: e.value.count) }
                        guard e.key.count == c!.keySize, e.value.count == c!.valueStride else {
                            throw PlainDump.ParseError(line: 0, message: "entries have different key/value sizes")
                        }
                        c!.append(key: e.key, value: e.value)
                    }
                    var d = BPFToolJSON.Dump()
                    d.contents = c
                    d.decoded = Array(repeating: nil, count: entries.count)
                    d.valueSize = c?.valueStride
                    dumps.append((hint, d, rel))
                    try recordFile(rel, blob: blob, kind: FileKind.dump.rawValue + " (plain text)", count: entries.count)
                    return
                }
            } catch {
                try sink.addError(subject: rel, origin: url.path, message: "\(rel) looks like a plain-text bpftool map dump but \(error.localizedDescription); dump with -j instead")
                return
            }
            try sink.addError(subject: rel, origin: url.path,
                              message: "\(rel) is plain-text or table output, which Vouch does not import: rerun bpftool with -j (--json) or cilium-dbg with -o json")
            return
        }
        let doc: JSONValue
        do { doc = try JSONValue.parse(body) } catch {
            try sink.addError(subject: rel, origin: url.path,
                              message: "\(rel): \(error.localizedDescription); save the tool's output unedited (bpftool -j, cilium-dbg -o json)")
            return
        }
        do {
            let (kind, count) = try classify(doc, hint: hint, rel: rel)
            try recordFile(rel, blob: blob, kind: kind.rawValue, count: count)
        } catch {
            try sink.addError(subject: rel, origin: url.path, message: "\(rel): \(error.localizedDescription)")
        }
    }

    struct ImportError: Error, LocalizedError {
        var message: String
        var errorDescription: String? { message }
    }

    /// Recognizes a document by its shape and keeps its objects.
    private mutating func classify(_ doc: JSONValue, hint: MapHint, rel: String) throws -> (FileKind, Int) {
        let list: [JSONValue] = doc.arrayValue ?? [doc]
        guard let first = list.first else { return (.empty, 0) }
        guard first.objectValue != nil else {
            throw ImportError(message: "expected a JSON array of objects (bpftool -j, cilium-dbg -o json), found \(first.canonicalText.prefix(40))")
        }
        if first["EndpointID"] != nil, first["Content"] != nil {
            for e in list {
                let path = e["Path"]?.stringValue
                let ep = e["EndpointID"]?.stringValue.flatMap { Int64($0) } ?? e["EndpointID"]?.intValue ?? path.flatMap(CiliumJSON.endpointID)
                policies.append((ep, path, e["Content"]?.arrayValue ?? [], rel))
            }
            return (.policyAll, list.count)
        }
        if first["Key"]?["Identity"] != nil {
            // Without --all the file holds one endpoint's entries: its id from the file name (`policy-412.json`).
            let digits = rel.split(separator: "/").last.map { $0.split(whereSeparator: { !$0.isNumber }).last.map(String.init) } ?? nil
            policies.append((digits.flatMap { Int64($0) }, nil, list, rel))
            return (.policy, list.count)
        }
        if first["status"] != nil, first["id"] != nil {
            for e in list {
                guard let ep = CiliumJSON.endpoint(e) else { throw ImportError(message: "an endpoint has no numeric id or status") }
                endpoints.append((ep, rel))
            }
            return (.endpoints, list.count)
        }
        if first["labels"] != nil, first["id"] != nil {
            for e in list {
                guard let i = CiliumJSON.identity(e) else { throw ImportError(message: "an identity has no numeric id or labels list") }
                identities.append((i.id, i.labels, rel))
            }
            return (.identities, list.count)
        }
        if first["bytes_key"] != nil {
            for e in list {
                guard let m = BPFToolJSON.map(e) else { throw ImportError(message: "a map has no numeric id") }
                maps[m.id] = (m, rel)
            }
            return (.maps, list.count)
        }
        if first["elements"] != nil, first["id"] != nil {
            for e in list {
                let d = try BPFToolJSON.dump(e["elements"]?.arrayValue ?? [])
                if let m = BPFToolJSON.map(e), maps[m.id] == nil { maps[m.id] = (m, rel) }
                dumps.append((MapHint(id: BPFToolJSON.u32(e["id"]), name: e["name"]?.stringValue), d, rel))
            }
            return (.multiDump, list.count)
        }
        if first["key"] != nil || first["value"] != nil || first["values"] != nil || first["formatted"] != nil {
            dumps.append((hint, try BPFToolJSON.dump(list), rel))
            return (.dump, list.count)
        }
        if first["tag"] != nil || (first["loaded_at"] != nil && first["id"] != nil) {
            for e in list {
                guard let p = BPFToolJSON.program(e) else { throw ImportError(message: "a program has no numeric id") }
                programs.append((p, rel))
            }
            return (.programs, list.count)
        }
        if first["prog_id"] != nil, first["type"] != nil, first["fd_type"] == nil {
            for e in list {
                guard let l = BPFToolJSON.link(e) else { throw ImportError(message: "a link has no type or prog_id") }
                links.append((l, rel))
            }
            return (.links, list.count)
        }
        if first["xdp"] != nil || first["tc"] != nil || first["flow_dissector"] != nil { return (.net, list.count) }
        if first["fd_type"] != nil { return (.perf, list.count) }
        throw ImportError(message: "unrecognized JSON (keys: \(first.objectValue!.keys.sorted().prefix(8).joined(separator: ", "))); expected bpftool prog/map/link show -j, map dump -j, or cilium-dbg bpf policy get / endpoint list / identity list -o json")
    }

    /// The raw file as an item, so every imported fact can be traced to the bytes it came from.
    private func recordFile(_ rel: String, blob: String, kind: String, count: Int) throws {
        try sink.add(EvidenceItem(kind: "bpf.import", subject: rel, origin: request.targetURL.appendingPathComponent(rel).path,
                                  data: .object(["format": .string(kind), "objects": .int(Int64(count)), "host": .string(host)]),
                                  blobSHA256: blob))
    }

    static func hint(fileName: String) -> MapHint {
        var h = MapHint()
        guard let r = fileName.range(of: "map-dump-") else { return h }
        var rest = String(fileName[r.upperBound...])
        for suffix in [".txt", ".json", ".txt"] where rest.hasSuffix(suffix) { rest.removeLast(suffix.count) }
        if rest.hasPrefix("pretty-") { rest.removeFirst("pretty-".count) }
        if let id = UInt32(rest.prefix(while: \.isNumber)), !rest.isEmpty { h.id = id }
        else if rest.hasPrefix("name-") { h.name = String(rest.dropFirst("name-".count)) }
        return h
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// The text with each comment line (`#` after leading blanks) emptied, so JSON errors keep their
    /// line numbers, and the comments themselves without their leading blanks. A byte scan: dumps are
    /// tens of megabytes on one line.
    static func blankComments(_ text: String) -> (body: String, comments: [String]) {
        var copy = text
        return copy.withUTF8 { u in
            var comments: [String] = []
            var ranges: [Range<Int>] = []
            var start = 0
            while start <= u.count {
                var end = start
                while end < u.count, u[end] != 0x0A { end += 1 }
                var i = start
                while i < end, isSpace(u[i]) { i += 1 }
                if i < end, u[i] == UInt8(ascii: "#") {
                    var e = end
                    while e > i, isSpace(u[e - 1]) { e -= 1 }
                    comments.append(String(decoding: UnsafeBufferPointer(rebasing: u[i..<e]), as: UTF8.self))
                    ranges.append(start..<end)
                }
                start = end + 1
            }
            guard !ranges.isEmpty else { return (text, []) }
            var out: [UInt8] = []
            out.reserveCapacity(u.count)
            var at = 0
            for r in ranges {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: u[at..<r.lowerBound]))
                at = r.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[at...]))
            return (String(decoding: out, as: UTF8.self), comments)
        }
    }

    static func hint(comment: String, into h: inout MapHint) {
        let words = comment.split(separator: " ").map(String.init)
        guard let i = words.firstIndex(of: "dump"), i > 0, words[i - 1] == "map", i + 2 < words.count else { return }
        switch words[i + 1] {
        case "id": if let id = UInt32(words[i + 2]) { h.id = id }
        case "pinned": h.pinned = words[i + 2]
        case "name": h.name = words[i + 2]
        default: break
        }
    }
}
