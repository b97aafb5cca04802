import CLibBPF
import Foundation
import VouchCore

/// Lists what the running kernel holds through libbpf: programs, maps and links by id.
///
/// Objects come and go while we read: one that vanished between listing and opening
/// (`ENOENT`) is skipped; a refusal (`EPERM`) on the very first listing means the
/// process lacks privileges and the whole source fails with one clear message.
struct KernelEnumerator {
    /// Wall-clock nanoseconds at boot, to turn the kernel's boot-relative load times into dates.
    let bootEpochNS: Int64 = {
        var rt = timespec(), bt = timespec()
        clock_gettime(CLOCK_REALTIME, &rt)
        clock_gettime(CLOCK_BOOTTIME, &bt)
        return (Int64(rt.tv_sec) - Int64(bt.tv_sec)) * 1_000_000_000 + Int64(rt.tv_nsec) - Int64(bt.tv_nsec)
    }()
    /// Run time and count are only meaningful while `kernel.bpf_stats_enabled` is on.
    let statsEnabled: Bool = (try? String(contentsOfFile: "/proc/sys/kernel/bpf_stats_enabled", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) == "1"

    enum Kind: String { case prog, map, link }

    /// Every id of one kind, in ascending order.
    func ids(_ kind: Kind) throws -> [UInt32] {
        var out: [UInt32] = []
        var start: UInt32 = 0
        while true {
            var next: UInt32 = 0
            let rc: Int32
            switch kind {
            case .prog: rc = bpf_prog_get_next_id(start, &next)
            case .map: rc = bpf_map_get_next_id(start, &next)
            case .link: rc = bpf_link_get_next_id(start, &next)
            }
            if rc == -ENOENT { break }
            // Kernels before 5.8 have no link ids: an empty list, not a failure.
            if rc == -EINVAL, kind == .link { break }
            try BPFError.check(rc, "listing BPF \(kind.rawValue) ids (bpf_\(kind.rawValue)_get_next_id)")
            out.append(next)
            start = next
        }
        return out
    }

    /// Opens an object by id; the caller closes the descriptor.
    func open(_ kind: Kind, id: UInt32) throws -> Int32 {
        let fd: Int32
        switch kind {
        case .prog: fd = bpf_prog_get_fd_by_id(id)
        case .map: fd = bpf_map_get_fd_by_id(id)
        case .link: fd = bpf_link_get_fd_by_id(id)
        }
        return try BPFError.check(fd, "opening BPF \(kind.rawValue) \(id)")
    }

    /// One program's description.
    func program(fd: Int32) throws -> BPFProgramRecord {
        var info = bpf_prog_info()
        var len = UInt32(MemoryLayout<bpf_prog_info>.size)
        try BPFError.check(bpf_obj_get_info_by_fd(fd, &info, &len), "reading BPF program info")
        var rec = BPFProgramRecord(id: info.id, type: BPFNames.name(BPFNames.programTypes, info.type))
        rec.name = Self.cString(info.name)
        rec.tag = withUnsafeBytes(of: info.tag) { Hashing.hex($0) }
        rec.loadedAt = Timestamp.string(Date(timeIntervalSince1970: Double(bootEpochNS + Int64(info.load_time)) / 1e9))
        rec.uid = info.created_by_uid
        rec.gplCompatible = info.gpl_compatible != 0
        rec.bytesXlated = info.xlated_prog_len
        rec.jited = info.jited_prog_len > 0
        rec.bytesJited = info.jited_prog_len > 0 ? info.jited_prog_len : nil
        rec.btfID = info.btf_id != 0 ? info.btf_id : nil
        if statsEnabled {
            rec.runTimeNS = info.run_time_ns
            rec.runCount = info.run_cnt
        }
        rec.recursionMisses = info.recursion_misses > 0 ? info.recursion_misses : nil
        rec.verifiedInsns = info.verified_insns
        rec.bytesMemlock = Self.fdinfo(fd)["memlock"].flatMap { Int64($0) }

        // A second call fetches the variable-length parts: the map ids and the first function's BTF id.
        let mapCount = Int(info.nr_map_ids)
        let wantFunc = info.btf_id != 0 && info.nr_func_info > 0 && (rec.name?.utf8.count ?? 0) >= 15
        if mapCount > 0 || wantFunc {
            var ids = [UInt32](repeating: 0, count: max(mapCount, 1))
            var funcInfo = bpf_func_info()
            var info2 = bpf_prog_info()
            var len2 = UInt32(MemoryLayout<bpf_prog_info>.size)
            let rc = ids.withUnsafeMutableBufferPointer { p in
                withUnsafeMutablePointer(to: &funcInfo) { fp in
                    info2.nr_map_ids = UInt32(mapCount)
                    info2.map_ids = UInt64(UInt(bitPattern: p.baseAddress))
                    if wantFunc {
                        info2.nr_func_info = 1
                        info2.func_info_rec_size = UInt32(MemoryLayout<bpf_func_info>.size)
                        info2.func_info = UInt64(UInt(bitPattern: fp))
                    }
                    return bpf_obj_get_info_by_fd(fd, &info2, &len2)
                }
            }
            try BPFError.check(rc, "reading BPF program \(rec.id) map ids")
            rec.mapIDs = Array(ids.prefix(min(mapCount, Int(info2.nr_map_ids))))
            if wantFunc, let full = Self.btfName(btfID: info.btf_id, typeID: funcInfo.type_id), !full.isEmpty {
                rec.name = full
            }
        }
        return rec
    }

    /// One map's description.
    func map(fd: Int32) throws -> BPFMapRecord {
        var info = bpf_map_info()
        var len = UInt32(MemoryLayout<bpf_map_info>.size)
        try BPFError.check(bpf_obj_get_info_by_fd(fd, &info, &len), "reading BPF map info")
        var rec = BPFMapRecord(id: info.id, type: BPFNames.name(BPFNames.mapTypes, info.type),
                               keySize: info.key_size, valueSize: info.value_size)
        rec.typeNumber = info.type
        rec.name = Self.cString(info.name)
        rec.maxEntries = info.max_entries
        rec.flags = info.map_flags
        rec.btfID = info.btf_id != 0 ? info.btf_id : nil
        rec.btfKeyTypeID = info.btf_key_type_id != 0 ? info.btf_key_type_id : nil
        rec.btfValueTypeID = info.btf_value_type_id != 0 ? info.btf_value_type_id : nil
        let fdinfo = Self.fdinfo(fd)
        rec.frozen = fdinfo["frozen"].map { $0 != "0" }
        rec.bytesMemlock = fdinfo["memlock"].flatMap { Int64($0) }
        return rec
    }

    /// One link's description, decoded from the raw `bpf_link_info` by link type.
    ///
    /// Read as bytes rather than through the C struct: the Debian UAPI header predates
    /// tcx, netkit and netfilter links, whose layouts are fixed by the kernel ABI.
    func link(fd: Int32) throws -> BPFLinkRecord {
        var raw = [UInt8](repeating: 0, count: 128)
        var len = UInt32(raw.count)
        try BPFError.check(raw.withUnsafeMutableBytes { bpf_obj_get_info_by_fd(fd, $0.baseAddress, &len) }, "reading BPF link info")
        func u32(_ o: Int) -> UInt32 { raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) } }
        func u64(_ o: Int) -> UInt64 { raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }
        let typeNumber = u32(0)
        var rec = BPFLinkRecord(id: u32(4), type: BPFNames.name(BPFNames.linkTypes, typeNumber))
        rec.progID = u32(8)
        let attach = { (o: Int) in BPFNames.name(BPFNames.attachTypes, u32(o)) }
        // The union starts at offset 16 (it holds 64-bit members).
        switch typeNumber {
        case 2: rec.attachType = attach(16); rec.targetObjID = u32(20); rec.targetBTFID = u32(24)  // tracing
        case 3: rec.cgroupID = u64(16); rec.attachType = attach(24)  // cgroup
        case 4: rec.mapID = u32(28) != 0 ? u32(28) : nil  // iter
        case 5: rec.netnsIno = u32(16); rec.attachType = attach(20)  // netns
        case 6: rec.ifindex = u32(16); rec.attachType = "xdp"  // xdp
        case 9: rec.mapID = u32(16)  // struct_ops
        case 10:  // netfilter
            rec.attachType = "netfilter"
            rec.extra = ["pf": .int(Int64(u32(16))), "hooknum": .int(Int64(u32(20))),
                         "priority": .int(Int64(Int32(bitPattern: u32(24)))), "flags": .int(Int64(u32(28)))]
        case 11, 13: rec.ifindex = u32(16); rec.attachType = attach(20)  // tcx, netkit
        case 14: rec.mapID = u32(16); rec.attachType = attach(20)  // sockmap
        default: break
        }
        return rec
    }

    /// The `key:\tvalue` lines of /proc/self/fdinfo/FD (frozen, memlock…).
    static func fdinfo(_ fd: Int32) -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8) else { return [:] }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    /// A kernel object name (a fixed char array, NUL-terminated unless full); nil when empty.
    static func cString<T>(_ tuple: T) -> String? {
        let s = withUnsafeBytes(of: tuple) { raw -> String in
            let bytes = Array(raw.prefix(while: { $0 != 0 }))
            return SafeText.from(bytes: bytes)
        }
        return s.isEmpty ? nil : s
    }

    /// The name of a BTF type in a kernel BTF object (the untruncated function name of a program).
    static func btfName(btfID: UInt32, typeID: UInt32) -> String? {
        guard let btf = btf__load_from_kernel_by_id(btfID) else { return nil }
        defer { btf__free(btf) }
        guard let t = btf__type_by_id(btf, typeID), let name = btf__name_by_offset(btf, t.pointee.name_off) else { return nil }
        return String(cString: name)
    }
}
