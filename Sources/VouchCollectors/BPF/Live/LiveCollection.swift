import Foundation
import VouchCore

/// `--source bpf=live`: every program, map (with contents) and link the running kernel holds.
struct LiveCollection {
    let request: CollectRequest
    let sink: CaptureSink

    func run() throws {
        let kernel = KernelEnumerator()
        // The first listing doubles as the privilege probe: EPERM here fails the source with one clear message.
        let mapIDs = try kernel.ids(.map)
        let progIDs = try kernel.ids(.prog)
        let linkIDs = try kernel.ids(.link)
        let pins = BpffsPins.scan()
        let cap = Int(request.intOption("entry_cap") ?? Int64(BPFFactWriter.defaultEntryCap))
        let readContents = request.options["contents"]?.boolValue ?? true
        let onlyMaps = Set(request.options["map_ids"]?.arrayValue?.compactMap { $0.intValue.map { UInt32(clamping: $0) } } ?? [])
        let writer = BPFFactWriter(sink: sink, host: request.option("host") ?? request.host, origin: "live", entryCap: max(0, cap))
        request.logger.info("bpf live", metadata: ["maps": "\(mapIDs.count)", "programs": "\(progIDs.count)",
                                                   "links": "\(linkIDs.count)", "bpffs": "\(pins.mounts.joined(separator: ","))"])

        for id in progIDs {
            try each("prog", id) {
                let fd = try kernel.open(.prog, id: id)
                defer { close(fd) }
                var rec = try kernel.program(fd: fd)
                rec.pinned = pins.programs[id] ?? []
                try writer.program(rec, from: "bpf(BPF_PROG_GET_FD_BY_ID, \(id))")
            }
        }
        var btfCache: [UInt32: BTFDecoder?] = [:]
        for (n, id) in mapIDs.enumerated() where onlyMaps.isEmpty || onlyMaps.contains(id) {
            if n % 100 == 0 { request.progress("bpf: map \(n + 1) of \(mapIDs.count)") }
            try each("map", id) {
                let fd = try kernel.open(.map, id: id)
                defer { close(fd) }
                var rec = try kernel.map(fd: fd)
                rec.pinned = pins.maps[id] ?? []
                var contents: MapContents?
                var method: String?
                var note = readContents ? MapReader.unreadableReason(rec) : "contents not collected (contents: false)"
                if note == nil {
                    do {
                        (contents, method) = try MapReader.read(fd: fd, map: rec)
                    } catch let e as BPFError {
                        note = e.localizedDescription
                    }
                }
                var decoder: BTFDecoder?
                if let btf = rec.btfID, rec.btfValueTypeID != nil {
                    if btfCache[btf] == nil { btfCache[btf] = .some(BTFDecoder(btfID: btf)) }
                    decoder = btfCache[btf] ?? nil
                }
                try writer.map(rec, contents: contents, method: method, note: note, from: "bpf(BPF_MAP_GET_FD_BY_ID, \(id))") { i in
                    guard let decoder, let contents else { return nil }
                    return Self.btfDecode(decoder, map: rec, contents: contents, index: i)
                }
            }
        }
        for id in linkIDs {
            try each("link", id) {
                let fd = try kernel.open(.link, id: id)
                defer { close(fd) }
                var rec = try kernel.link(fd: fd)
                rec.pinned = pins.links[id] ?? []
                try writer.link(rec, from: "bpf(BPF_LINK_GET_FD_BY_ID, \(id))")
            }
        }
    }

    /// Runs one object's work: a vanished object is skipped, any other failure becomes an error item.
    private func each(_ kind: String, _ id: UInt32, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch BPFError.gone {
            return
        } catch let e as BPFError {
            if case .notPermitted = e { throw e }
            try sink.addError(subject: "\(kind) #\(id)", origin: "bpf()", message: "cannot read BPF \(kind) \(id): \(e.localizedDescription)")
        }
    }

    /// `{"key": …, "value": …}` (per-CPU: `"values": [{"cpu": n, "value": …}]`) through BTF.
    static func btfDecode(_ d: BTFDecoder, map: BPFMapRecord, contents: MapContents, index i: Int) -> JSONValue? {
        var o: [String: JSONValue] = [:]
        contents.keys.withUnsafeBytes { k in
            let key = UnsafeRawBufferPointer(rebasing: k[(i * contents.keySize)..<((i + 1) * contents.keySize)])
            if let kt = map.btfKeyTypeID { o["key"] = d.decode(typeID: kt, bytes: key) }
        }
        guard let vt = map.btfValueTypeID else { return o.isEmpty ? nil : .object(o) }
        contents.values.withUnsafeBytes { v in
            let base = i * contents.valueStride
            if map.isPerCPU {
                let stride = (Int(map.valueSize) + 7) & ~7
                var values: [JSONValue] = []
                for cpu in 0..<(contents.valueStride / max(stride, 1)) {
                    let slice = UnsafeRawBufferPointer(rebasing: v[(base + cpu * stride)..<(base + cpu * stride + Int(map.valueSize))])
                    values.append(.object(["cpu": .int(Int64(cpu)), "value": d.decode(typeID: vt, bytes: slice) ?? .null]))
                }
                o["values"] = .array(values)
            } else {
                o["value"] = d.decode(typeID: vt, bytes: UnsafeRawBufferPointer(rebasing: v[base..<(base + contents.valueStride)]))
            }
        }
        return .object(o)
    }
}
