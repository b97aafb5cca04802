import Foundation
import GRDB
import VouchCore

/// Turns check inputs into named SQL parameters. Values are always bound, never spliced into SQL.
///
/// Every check can use `:capture_id`, `:evaluation_id`, `:now` (ISO 8601 UTC text) and `:now_epoch`.
/// Each input `x` binds `:x`; a duration also binds `:x_cutoff` (the time `now - x`, same text form
/// as stored times, so plain comparison works in SQLite and PostgreSQL) and `:x_cutoff_epoch`;
/// a list binds `:x` as `,a,b,c,` so `:x LIKE '%,' || name || ',%'` tests membership portably.
/// Lists and durations also bind `:x_text`, the value as people read it (`a, b, c`; `400d`).
public enum InputBinding {
    public static let builtins = ["capture_id", "evaluation_id", "now", "now_epoch"]

    public enum Converted { case success(DatabaseValue), failure(String) }

    /// Checks and converts one input value to its bound form.
    public static func convert(_ input: CheckInput, _ value: JSONValue) -> Converted {
        switch input.kind {
        case .integer:
            guard let i = value.intValue else { return .failure("expected a whole number, got \(value.canonicalText)") }
            return .success(i.databaseValue)
        case .number:
            if let i = value.intValue { return .success(Double(i).databaseValue) }
            if case .double(let d) = value { return .success(d.databaseValue) }
            return .failure("expected a number, got \(value.canonicalText)")
        case .string:
            guard let s = value.stringValue else { return .failure("expected text, got \(value.canonicalText)") }
            return .success(s.databaseValue)
        case .boolean:
            guard let b = value.boolValue else { return .failure("expected true or false, got \(value.canonicalText)") }
            return .success((b ? 1 : 0).databaseValue)
        case .duration:
            guard let s = DurationText.seconds(value) else {
                return .failure("expected a duration like 400d, 26h or 1y2w, got \(value.canonicalText)")
            }
            return .success(s.databaseValue)
        case .list:
            var items: [String] = []
            if let a = value.arrayValue {
                for v in a {
                    guard let s = v.stringValue ?? v.intValue.map(String.init) else { return .failure("list items must be text") }
                    items.append(s)
                }
            } else if let s = value.stringValue {
                items = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            } else {
                return .failure("expected a list, got \(value.canonicalText)")
            }
            if let bad = items.first(where: { $0.contains(",") }) { return .failure("list item '\(bad)' contains a comma") }
            return .success(("," + items.joined(separator: ",") + ",").databaseValue)
        }
    }

    /// All parameters for one run of a check.
    public static func arguments(check: Check, values: [String: JSONValue], captureID: Int64, evaluationID: Int64,
                                 now: Date) throws -> [String: DatabaseValue] {
        var out: [String: DatabaseValue] = [
            "capture_id": captureID.databaseValue, "evaluation_id": evaluationID.databaseValue,
            "now": Timestamp.string(now).databaseValue, "now_epoch": Int64(now.timeIntervalSince1970).databaseValue,
        ]
        for input in check.inputs {
            let value = values[input.name] ?? input.defaultValue
            switch convert(input, value) {
            case .failure(let why): throw EvaluateError.badInput(check: check.id, input: input.name, reason: why)
            case .success(let dv):
                out[input.name] = dv
                if input.kind == .duration, let secs = Int64.fromDatabaseValue(dv) {
                    out[input.name + "_text"] = (value.stringValue ?? "\(secs)s").databaseValue
                    let cutoff = now.addingTimeInterval(-Double(secs))
                    out[input.name + "_cutoff"] = Timestamp.string(cutoff).databaseValue
                    out[input.name + "_cutoff_epoch"] = Int64(cutoff.timeIntervalSince1970).databaseValue
                }
                if input.kind == .list, let wrapped = String.fromDatabaseValue(dv) {
                    let items = wrapped.split(separator: ",").map(String.init)
                    out[input.name + "_text"] = (items.isEmpty ? "(none)" : items.joined(separator: ", ")).databaseValue
                }
            }
        }
        return out
    }

    /// The names every parameter of a check may use.
    public static func knownNames(_ check: Check) -> Set<String> {
        var names = Set(builtins)
        for i in check.inputs {
            names.insert(i.name)
            if i.kind == .duration { names.insert(i.name + "_cutoff"); names.insert(i.name + "_cutoff_epoch") }
            if i.kind == .list || i.kind == .duration { names.insert(i.name + "_text") }
        }
        return names
    }

    /// The `:name` parameters a SQL text uses (outside quoted strings and comments).
    public static func parameterNames(in sql: String) -> [String] {
        var names: [String] = []
        let chars = Array(sql.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                i += 1
                while i < chars.count, chars[i] != c { i += 1 }
                i += 1
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
            } else if c == ":", i + 1 < chars.count, chars[i + 1] == ":" {
                i += 2  // PostgreSQL cast `x::text`
            } else if c == ":", i + 1 < chars.count, CharacterSet.letters.contains(chars[i + 1]) || chars[i + 1] == "_" {
                var j = i + 1
                while j < chars.count, CharacterSet.alphanumerics.contains(chars[j]) || chars[j] == "_" { j += 1 }
                names.append(String(String.UnicodeScalarView(chars[(i + 1)..<j])))
                i = j
            } else {
                i += 1
            }
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
