import CLibBPF
import Foundation
import VouchTestSupport

/// Real kernel objects for the BPF tests: maps, a socket-filter program, a private bpffs.
///
/// Every test creates its own objects and filters the collector's output by their ids:
/// other tests (and other processes) may hold BPF objects at the same time.
enum KernelFixtures {
    struct Refused: Error, CustomStringConvertible { var description: String }

    /// Why bpf() cannot be used here, or nil when it can.
    static let unavailableReason: String? = {
        var opts = bpf_map_create_opts()
        opts.sz = MemoryLayout<bpf_map_create_opts>.size
        let fd = bpf_map_create(BPF_MAP_TYPE_HASH, "vouch_probe", 4, 4, 1, &opts)
        if fd < 0 { return "bpf() map creation refused (\(String(cString: strerror(-fd)))): run the tests as root for the live BPF tests" }
        close(fd)
        return nil
    }()

    /// Creates a map; the descriptor closes when the test ends (the kernel frees the map once unpinned).
    static func createMap(_ type: bpf_map_type, name: String, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32,
                          flags: UInt32 = 0, btfFD: Int32 = 0, btfKey: UInt32 = 0, btfValue: UInt32 = 0) throws -> Int32 {
        var opts = bpf_map_create_opts()
        opts.sz = MemoryLayout<bpf_map_create_opts>.size
        opts.map_flags = flags
        if btfFD > 0 {
            opts.btf_fd = UInt32(btfFD)
            opts.btf_key_type_id = btfKey
            opts.btf_value_type_id = btfValue
        }
        let fd = bpf_map_create(type, name, keySize, valueSize, maxEntries, &opts)
        guard fd >= 0 else { throw Refused(description: "bpf_map_create \(name): \(String(cString: strerror(-fd)))") }
        return fd
    }

    static func update(_ fd: Int32, key: [UInt8], value: [UInt8]) throws {
        let rc = bpf_map_update_elem(fd, key, value, UInt64(BPF_ANY))
        guard rc == 0 else { throw Refused(description: "bpf_map_update_elem: \(String(cString: strerror(-rc)))") }
    }

    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    /// The kernel id of a map or program descriptor.
    static func id(_ fd: Int32) -> UInt32 {
        var head = [UInt32](repeating: 0, count: 2)
        var len: UInt32 = 8
        _ = head.withUnsafeMutableBytes { bpf_obj_get_info_by_fd(fd, $0.baseAddress, &len) }
        return head[1]
    }

    /// Loads `r1 = map (BPF_LD_IMM64, BPF_PSEUDO_MAP_FD); r0 = 0; exit` as a socket filter.
    static func loadSocketFilter(name: String, mapFD: Int32) throws -> Int32 {
        var insns = [bpf_insn](repeating: bpf_insn(), count: 4)
        insns[0].code = UInt8(BPF_LD | BPF_DW | BPF_IMM)
        insns[0].dst_reg = 1
        insns[0].src_reg = UInt8(BPF_PSEUDO_MAP_FD)
        insns[0].imm = mapFD
        insns[2].code = UInt8(BPF_ALU64 | BPF_MOV | BPF_K)
        insns[3].code = UInt8(BPF_JMP | BPF_EXIT)
        var opts = bpf_prog_load_opts()
        opts.sz = MemoryLayout<bpf_prog_load_opts>.size
        let fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, insns.count, &opts)
        guard fd >= 0 else { throw Refused(description: "bpf_prog_load: \(String(cString: strerror(-fd)))") }
        return fd
    }

    /// Mounts a private bpffs on a fresh folder for the body, then detaches it.
    static func withBpffs<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = try TestSupport.makeTempDir("vouch-bpffs")
        guard mount("bpf", dir.path, "bpf", 0, nil) == 0 else {
            throw Refused(description: "mount -t bpf \(dir.path): \(String(cString: strerror(errno)))")
        }
        defer { umount2(dir.path, Int32(MNT_DETACH)); try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }

    static func pin(_ fd: Int32, at path: String) throws {
        let rc = bpf_obj_pin(fd, path)
        guard rc == 0 else { throw Refused(description: "bpf_obj_pin \(path): \(String(cString: strerror(-rc)))") }
    }
}
