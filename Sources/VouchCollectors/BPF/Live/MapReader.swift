import CLibBPF
import Foundation

/// Reads every entry of a map: by batch lookup where the kernel supports it for the map
/// type, else by walking keys with `get_next_key`.
struct MapReader {
    /// Possible CPUs: per-CPU lookups return one (8-byte aligned) value for each.
    static let possibleCPUs: Int = max(1, Int(libbpf_num_possible_cpus()))

    /// Bytes one lookup returns for one key of this map.
    static func valueStride(_ map: BPFMapRecord) -> Int {
        map.isPerCPU ? ((Int(map.valueSize) + 7) & ~7) * possibleCPUs : Int(map.valueSize)
    }

    /// Why a map's contents are not read, or nil when they are.
    static func unreadableReason(_ map: BPFMapRecord) -> String? {
        if !BPFNames.readableMapTypes.contains(map.type) {
            return "the kernel offers no lookup of \(map.type) maps from user space"
        }
        if map.keySize == 0 { return "the map has no keys" }
        return nil
    }

    /// Reads the whole map. `batchSupported` says how it went (for tests and the item data).
    static func read(fd: Int32, map: BPFMapRecord) throws -> (contents: MapContents, method: String) {
        var contents = MapContents(keySize: Int(map.keySize), valueStride: valueStride(map))
        if try readBatched(fd: fd, map: map, into: &contents) { return (contents, "batch") }
        contents = MapContents(keySize: Int(map.keySize), valueStride: valueStride(map))
        try readByKey(fd: fd, map: map, into: &contents)
        return (contents, "get_next_key")
    }

    /// Batch lookup; returns false (nothing read) when the kernel does not support it for this map.
    private static func readBatched(fd: Int32, map: BPFMapRecord, into contents: inout MapContents) throws -> Bool {
        // Fd maps answer ids only through the single lookup; LPM tries have no batch ops.
        guard ["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lru_percpu_hash"].contains(map.type) else { return false }
        let ks = contents.keySize, vs = contents.valueStride
        var chunk = max(16, min(Int(map.maxEntries ?? 4096), 8192))
        var keys = [UInt8](repeating: 0, count: chunk * ks)
        var values = [UInt8](repeating: 0, count: chunk * vs)
        // The batch cursor is opaque; hash maps use a bucket number, arrays a key.
        var inBatch = [UInt8](repeating: 0, count: max(ks, 8))
        var outBatch = [UInt8](repeating: 0, count: max(ks, 8))
        var first = true
        while true {
            var n = UInt32(chunk)
            let rc: Int32 = keys.withUnsafeMutableBytes { k in
                values.withUnsafeMutableBytes { v in
                    outBatch.withUnsafeMutableBytes { ob in
                        if first { return bpf_map_lookup_batch(fd, nil, ob.baseAddress, k.baseAddress, v.baseAddress, &n, nil) }
                        return inBatch.withUnsafeMutableBytes { ib in
                            bpf_map_lookup_batch(fd, ib.baseAddress, ob.baseAddress, k.baseAddress, v.baseAddress, &n, nil)
                        }
                    }
                }
            }
            if rc < 0, rc != -ENOENT {
                if rc == -ENOSPC, chunk < 1 << 20 {
                    // One hash bucket holds more entries than the buffer: grow it and retry this step.
                    chunk *= 4
                    keys = [UInt8](repeating: 0, count: chunk * ks)
                    values = [UInt8](repeating: 0, count: chunk * vs)
                    continue
                }
                if first, [-EINVAL, -EOPNOTSUPP, -524].contains(rc) { return false }
                try BPFError.check(rc, "batch lookup of map \(map.id)")
            }
            keys.withUnsafeBytes { k in values.withUnsafeBytes { v in contents.appendBatch(keys: k, values: v, count: Int(n)) } }
            if rc == -ENOENT { return true }
            inBatch = outBatch
            first = false
        }
    }

    /// Walks keys one by one; an entry deleted meanwhile is skipped.
    private static func readByKey(fd: Int32, map: BPFMapRecord, into contents: inout MapContents) throws {
        let ks = contents.keySize
        var cur = [UInt8](repeating: 0, count: ks)
        var next = [UInt8](repeating: 0, count: ks)
        var value = [UInt8](repeating: 0, count: max(contents.valueStride, 8))
        var rc = bpf_map_get_next_key(fd, nil, &next)
        var guardCount = 0
        let limit = Int(map.maxEntries ?? UInt32.max) + 1
        while rc == 0 {
            let lrc = bpf_map_lookup_elem(fd, next, &value)
            if lrc == 0 {
                next.withUnsafeBytes { k in value.withUnsafeBytes { v in contents.append(key: k, value: v) } }
            } else if lrc != -ENOENT {
                try BPFError.check(lrc, "lookup in map \(map.id)")
            }
            swap(&cur, &next)
            rc = bpf_map_get_next_key(fd, cur, &next)
            guardCount += 1
            // A map rewritten while we walk can restart the walk; never loop past its capacity.
            if guardCount > limit { break }
        }
        if rc != -ENOENT, rc != 0 { try BPFError.check(rc, "walking the keys of map \(map.id)") }
    }
}
