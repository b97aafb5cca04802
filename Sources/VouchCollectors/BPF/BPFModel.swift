import Foundation
import VouchCore

/// One loaded BPF program, as the kernel (or an imported `bpftool prog show -j`) describes it.
public struct BPFProgramRecord: Sendable, Hashable {
    public var id: UInt32
    public var type: String
    public var name: String?
    public var tag: String?
    public var loadedAt: String?
    public var uid: UInt32?
    public var gplCompatible: Bool?
    public var bytesXlated: UInt32?
    public var bytesJited: UInt32?
    public var jited: Bool?
    public var bytesMemlock: Int64?
    public var mapIDs: [UInt32] = []
    public var btfID: UInt32?
    public var runTimeNS: UInt64?
    public var runCount: UInt64?
    public var recursionMisses: UInt64?
    public var verifiedInsns: UInt32?
    public var pinned: [String] = []

    public init(id: UInt32, type: String) {
        self.id = id
        self.type = type
    }

    /// The item's normalized data.
    var json: JSONValue {
        var o: [String: JSONValue] = ["id": .int(Int64(id)), "type": .string(type)]
        o["name"] = name.map(JSONValue.string)
        o["tag"] = tag.map(JSONValue.string)
        o["loaded_at"] = loadedAt.map(JSONValue.string)
        o["uid"] = uid.map { .int(Int64($0)) }
        o["gpl_compatible"] = gplCompatible.map(JSONValue.bool)
        o["bytes_xlated"] = bytesXlated.map { .int(Int64($0)) }
        o["bytes_jited"] = bytesJited.map { .int(Int64($0)) }
        o["jited"] = jited.map(JSONValue.bool)
        o["bytes_memlock"] = bytesMemlock.map(JSONValue.int)
        if !mapIDs.isEmpty { o["map_ids"] = .array(mapIDs.map { .int(Int64($0)) }) }
        o["btf_id"] = btfID.map { .int(Int64($0)) }
        o["run_time_ns"] = runTimeNS.map { .int(Int64(clamping: $0)) }
        o["run_cnt"] = runCount.map { .int(Int64(clamping: $0)) }
        o["recursion_misses"] = recursionMisses.map { .int(Int64(clamping: $0)) }
        o["verified_insns"] = verifiedInsns.map { .int(Int64($0)) }
        if !pinned.isEmpty { o["pinned"] = .array(pinned.map(JSONValue.string)) }
        return .object(o)
    }
}

/// One BPF map's metadata.
public struct BPFMapRecord: Sendable, Hashable {
    public var id: UInt32
    public var type: String
    public var typeNumber: UInt32?
    public var name: String?
    public var keySize: UInt32
    public var valueSize: UInt32
    public var maxEntries: UInt32?
    public var flags: UInt32?
    public var frozen: Bool?
    public var btfID: UInt32?
    public var btfKeyTypeID: UInt32?
    public var btfValueTypeID: UInt32?
    public var bytesMemlock: Int64?
    public var pinned: [String] = []

    public init(id: UInt32, type: String, keySize: UInt32, valueSize: UInt32) {
        self.id = id
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
    }

    /// Whether the kernel keeps one value per possible CPU for each key.
    public var isPerCPU: Bool { BPFNames.perCPUMapTypes.contains(type) }

    /// The name to recognize the map by: the pinned file's name (complete) before the kernel's (15 characters).
    public var displayName: String {
        if let pin = pinned.first { return String(pin.split(separator: "/").last ?? Substring(pin)) }
        return name ?? ""
    }

    var json: JSONValue {
        var o: [String: JSONValue] = ["id": .int(Int64(id)), "type": .string(type),
                                      "bytes_key": .int(Int64(keySize)), "bytes_value": .int(Int64(valueSize))]
        o["name"] = name.map(JSONValue.string)
        o["max_entries"] = maxEntries.map { .int(Int64($0)) }
        o["flags"] = flags.map { .int(Int64($0)) }
        o["frozen"] = frozen.map(JSONValue.bool)
        o["btf_id"] = btfID.map { .int(Int64($0)) }
        o["bytes_memlock"] = bytesMemlock.map(JSONValue.int)
        if !pinned.isEmpty { o["pinned"] = .array(pinned.map(JSONValue.string)) }
        return .object(o)
    }
}

/// One BPF link and what it attaches a program to.
public struct BPFLinkRecord: Sendable, Hashable {
    public var id: UInt32?
    public var type: String
    public var progID: UInt32?
    public var attachType: String?
    public var ifindex: UInt32?
    public var cgroupID: UInt64?
    public var netnsIno: UInt32?
    public var targetObjID: UInt32?
    public var targetBTFID: UInt32?
    public var mapID: UInt32?
    public var extra: [String: JSONValue] = [:]
    public var pinned: [String] = []

    public init(id: UInt32?, type: String) {
        self.id = id
        self.type = type
    }

    /// The attach target as one readable word: `cgroup:ID`, `ifindex:N`, `netns:INO`, `btf:OBJ/TYPE`, `map:ID`.
    public var target: String? {
        if let cgroupID { return "cgroup:\(cgroupID)" }
        if let ifindex { return "ifindex:\(ifindex)" }
        if let netnsIno { return "netns:\(netnsIno)" }
        if let targetObjID { return "btf:\(targetObjID)/\(targetBTFID ?? 0)" }
        if let mapID { return "map:\(mapID)" }
        if let tp = extra["tp_name"]?.stringValue { return "tracepoint:\(tp)" }
        if let t = extra["target_name"]?.stringValue { return "iter:\(t)" }
        return nil
    }

    var json: JSONValue {
        var o = extra
        o["id"] = id.map { .int(Int64($0)) }
        o["type"] = .string(type)
        o["prog_id"] = progID.map { .int(Int64($0)) }
        o["attach_type"] = attachType.map(JSONValue.string)
        o["ifindex"] = ifindex.map { .int(Int64($0)) }
        o["cgroup_id"] = cgroupID.map { .int(Int64(clamping: $0)) }
        o["netns_ino"] = netnsIno.map { .int(Int64($0)) }
        o["target_obj_id"] = targetObjID.map { .int(Int64($0)) }
        o["target_btf_id"] = targetBTFID.map { .int(Int64($0)) }
        o["map_id"] = mapID.map { .int(Int64($0)) }
        o["target"] = target.map(JSONValue.string)
        if !pinned.isEmpty { o["pinned"] = .array(pinned.map(JSONValue.string)) }
        return .object(o)
    }
}
