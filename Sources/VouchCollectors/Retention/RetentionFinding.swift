import Foundation
import VouchCore

/// One `retention_setting` row before it gets its capture and evidence ids.
struct RetentionFinding: Equatable {
    var system: String
    var component: String
    var instance: String
    var resolution: String?
    var durationMS: Int64?
    var sizeBytes: Int64?
    var unlimited = false
    var unresolved = false
    var isDefault = false
    var setting: String
    var raw: String?
    var origin: String

    var json: JSONValue {
        ["system": .string(system), "component": .string(component), "instance": .string(instance),
         "resolution": resolution.map { .string($0) } ?? .null, "duration_ms": durationMS.map { .int($0) } ?? .null,
         "size_bytes": sizeBytes.map { .int($0) } ?? .null, "unlimited": .bool(unlimited), "unresolved": .bool(unresolved),
         "default": .bool(isDefault), "setting": .string(setting), "raw": raw.map { .string($0) } ?? .null]
    }
}

/// A value that could not be read (it becomes an error item naming the file, line and setting).
struct RetentionValueError: Error {
    var setting: String
    var raw: String
    var origin: String
    var expected: String
}

/// Builds findings with each system's meaning of zero, unset and defaults (FORMATS §7).
enum RetentionRules {
    static let prometheusDefaultMS: Int64 = 15 * 86_400_000
    static let operatorDefault = "24h"

    /// Prometheus TSDB from flags or an operator object: a zero or absent time means "not set";
    /// with neither time nor size the default applies (15d for Prometheus, 24h for the operator).
    static func prometheus(component: String = "tsdb", instance: String, time: (setting: String, raw: String)?,
                           size: (setting: String, raw: String)?, origin: String, defaultTime: String = "15d",
                           zeroMeansUnlimited: Bool = false) throws -> RetentionFinding {
        var f = RetentionFinding(system: "prometheus", component: component, instance: instance,
                                 setting: [time?.setting, size?.setting].compactMap { $0 }.joined(separator: ","),
                                 raw: [time?.raw, size?.raw].compactMap { $0 }.joined(separator: ","), origin: origin)
        if let t = time {
            if PromDuration.isPlaceholder(t.raw) { f.unresolved = true } else {
                guard let ms = PromDuration.milliseconds(t.raw), ms >= 0 else {
                    throw RetentionValueError(setting: t.setting, raw: t.raw, origin: origin, expected: "a duration like 15d or 1y2w")
                }
                if ms > 0 { f.durationMS = ms }
            }
        }
        if let s = size {
            if PromDuration.isPlaceholder(s.raw) { f.unresolved = true } else {
                guard let b = PromDuration.bytes(s.raw) else {
                    throw RetentionValueError(setting: s.setting, raw: s.raw, origin: origin, expected: "a size like 512MB or 50GiB")
                }
                if b > 0 { f.sizeBytes = b }
            }
        }
        if !f.unresolved, f.durationMS == nil, f.sizeBytes == nil {
            if zeroMeansUnlimited, time != nil {
                f.unlimited = true
            } else {
                f.durationMS = PromDuration.milliseconds(defaultTime)
                f.isDefault = time == nil && size == nil
                if f.setting.isEmpty { f.setting = "(default)"; f.raw = defaultTime }
            }
        }
        return f
    }

    /// A duration where `0`/`0d` keeps data forever (Thanos compactor and receive, Loki).
    static func zeroIsForever(system: String, component: String, instance: String, resolution: String? = nil,
                              setting: String, raw: String, origin: String, isDefault: Bool = false) throws -> RetentionFinding {
        var f = RetentionFinding(system: system, component: component, instance: instance, resolution: resolution,
                                 isDefault: isDefault, setting: setting, raw: raw, origin: origin)
        if PromDuration.isPlaceholder(raw) { f.unresolved = true; return f }
        guard let ms = PromDuration.milliseconds(raw), ms >= 0 else {
            throw RetentionValueError(setting: setting, raw: raw, origin: origin, expected: "a duration like 30d, or 0d for forever")
        }
        if ms == 0 { f.unlimited = true } else { f.durationMS = ms }
        return f
    }
}
