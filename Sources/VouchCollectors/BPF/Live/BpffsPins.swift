import CLibBPF
import Foundation
import VouchCore

/// Finds pinned BPF objects by walking every bpffs mount of this process's mount namespace.
///
/// The kernel keeps no reverse index from an object to its pins, so (like `bpftool -f`)
/// we open each file under each bpffs mount and ask which object it is.
struct BpffsPins {
    struct Pins {
        var maps: [UInt32: [String]] = [:]
        var programs: [UInt32: [String]] = [:]
        var links: [UInt32: [String]] = [:]
        var mounts: [String] = []
    }

    /// Mount points of type `bpf` in /proc/self/mountinfo (or the given text), octal escapes decoded.
    static func mountPoints(mountinfo: String? = nil) -> [String] {
        guard let text = mountinfo ?? (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) else { return [] }
        var out: [String] = []
        for line in text.split(separator: "\n") {
            // Fields: id parent major:minor root mountpoint options [optional…] - fstype source superopts
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count > 6, let dash = parts.firstIndex(of: "-"), dash + 1 < parts.count, parts[dash + 1] == "bpf" else { continue }
            let mp = unescape(String(parts[4]))
            if !out.contains(mp) { out.append(mp) }
        }
        return out.sorted()
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 0x5C, i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Walks the mounts and returns every pinned object's paths by kind and id.
    static func scan(mounts: [String]? = nil) -> Pins {
        var pins = Pins()
        pins.mounts = mounts ?? mountPoints()
        for mount in pins.mounts { walk(mount, depth: 0, into: &pins) }
        for k in pins.maps.keys { pins.maps[k]!.sort() }
        for k in pins.programs.keys { pins.programs[k]!.sort() }
        for k in pins.links.keys { pins.links[k]!.sort() }
        return pins
    }

    private static func walk(_ dir: String, depth: Int, into pins: inout Pins) {
        guard depth < 32, let d = opendir(dir) else { return }
        defer { closedir(d) }
        var names: [(String, UInt8)] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append((name, e.pointee.d_type))
        }
        for (name, type) in names.sorted(by: { $0.0 < $1.0 }) {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if type == UInt8(DT_DIR) {
                walk(path, depth: depth + 1, into: &pins)
            } else if type == UInt8(DT_REG) || type == UInt8(DT_UNKNOWN) {
                identify(path, into: &pins)
            }
        }
    }

    /// Opens one pinned file and files its path under the object it names.
    private static func identify(_ path: String, into pins: inout Pins) {
        let fd = bpf_obj_get(path)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // The descriptor's link target names its kind: anon_inode:bpf-map / bpf-prog / bpf-link.
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/fd/\(fd)", &buf, 63)
        guard n > 0 else { return }
        let kind = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Every info struct starts with (type, id): 8 bytes are enough, the kernel copies no more.
        var head = [UInt32](repeating: 0, count: 2)
        var len: UInt32 = 8
        guard head.withUnsafeMutableBytes({ bpf_obj_get_info_by_fd(fd, $0.baseAddress, &len) }) == 0 else { return }
        let id = head[1]
        if kind.hasSuffix("bpf-map") { pins.maps[id, default: []].append(path) }
        else if kind.hasSuffix("bpf-prog") { pins.programs[id, default: []].append(path) }
        else if kind.hasSuffix("bpf-link") { pins.links[id, default: []].append(path) }
    }
}
