import CLibBPF
import Foundation

/// A failed libbpf or bpf() call, pattern-matchable by cause.
///
/// libbpf 1.x returns `-errno` from its syscall wrappers (and NULL plus `errno` from
/// constructors); `BPFError.check` turns both into this type, so callers can tell
/// "no privilege" (the whole source fails with one clear message) from "this object
/// vanished meanwhile" (skip it) from everything else (an error item naming the object).
public enum BPFError: Error, LocalizedError, Sendable, Equatable {
    /// bpf() refused: EPERM/EACCES.
    case notPermitted(operation: String)
    /// The object went away between listing and opening it (ENOENT).
    case gone(operation: String)
    /// The kernel does not support this operation on this object (EINVAL/EOPNOTSUPP/ENOTSUPP).
    case unsupported(operation: String, errno: Int32)
    case failed(operation: String, errno: Int32)

    /// The sentence every privilege failure carries (tests and users look for it).
    public static let privilegeHint = "needs root, or CAP_BPF and CAP_PERFMON; or import bpftool JSON (--source bpf=DIR)"

    public var errorDescription: String? {
        switch self {
        case .notPermitted(let op):
            return "the kernel refused \(op): \(Self.privilegeHint)"
        case .gone(let op):
            return "\(op): the object no longer exists (it was unloaded while Vouch read it)"
        case .unsupported(let op, let e):
            return "\(op) is not supported by this kernel for this object: \(Self.describe(e))"
        case .failed(let op, let e):
            return "\(op) failed: \(Self.describe(e))"
        }
    }

    /// The errno this error came from.
    public var errno: Int32 {
        switch self {
        case .notPermitted: return EPERM
        case .gone: return ENOENT
        case .unsupported(_, let e), .failed(_, let e): return e
        }
    }

    /// Classifies an errno value (positive) for one operation.
    public static func from(errno e: Int32, operation: String) -> BPFError {
        switch e {
        case EPERM, EACCES: return .notPermitted(operation: operation)
        case ENOENT: return .gone(operation: operation)
        case EINVAL, EOPNOTSUPP, 524 /* ENOTSUPP, kernel-internal */: return .unsupported(operation: operation, errno: e)
        default: return .failed(operation: operation, errno: e)
        }
    }

    /// Checks a libbpf return code (`< 0` is `-errno`) and returns it when it is not an error.
    @discardableResult
    public static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        if rc >= 0 { return rc }
        throw from(errno: -rc, operation: operation())
    }

    /// Checks a libbpf constructor that returns NULL and sets errno.
    public static func check<T>(_ pointer: T?, _ operation: @autoclosure () -> String) throws -> T {
        if let pointer { return pointer }
        let e = Foundation.errno
        throw from(errno: e == 0 ? EINVAL : e, operation: operation())
    }

    static func describe(_ e: Int32) -> String {
        if e == 524 { return "ENOTSUPP (operation not supported)" }
        return String(cString: strerror(e))
    }
}
