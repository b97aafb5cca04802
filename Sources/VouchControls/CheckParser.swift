import Foundation
import VouchCore

extension CatalogLoader {
    /// Parses one check file; problems are recorded, and a check missing its id is dropped.
    mutating func parseCheck(_ d: YAMLData) -> Check? {
        let v = d.value
        let id = string(d, v, "", "id")
        guard !id.isEmpty else { return nil }
        if id.contains(where: { $0.isWhitespace }) { problem(d, "id", "a check id has no spaces") }
        let severity = string(d, v, "", "severity")
        if !severity.isEmpty, !Check.severities.contains(severity) {
            problem(d, "severity", "severity must be one of \(Check.severities.joined(separator: ", "))")
        }
        var sources: [String] = []
        for (i, s) in (v["sources"]?.arrayValue ?? []).enumerated() {
            if let s = s.stringValue { sources.append(s) } else { problem(d, "sources.\(i)", "a source name must be text") }
        }
        if sources.isEmpty { problem(d, "sources", "list the sources the check reads (`store` for the store's own tables)") }
        var inputs: [CheckInput] = []
        if let map = v["inputs"]?.objectValue {
            for name in map.keys.sorted() {
                if let input = parseInput(d, name: name, map[name]!) { inputs.append(input) }
            }
        } else if let other = v["inputs"], other != .null {
            problem(d, "inputs", "`inputs` maps each input name to {type, default, description}")
        }
        var tests: [CheckTestCase] = []
        for (i, t) in (v["tests"]?.arrayValue ?? []).enumerated() {
            if let tc = parseTest(d, t, path: "tests.\(i)") { tests.append(tc) }
        }
        return Check(id: id, title: string(d, v, "", "title"), description: v["description"]?.stringValue ?? "",
                     sources: sources, severity: severity, inputs: inputs, sql: string(d, v, "", "sql"),
                     remediation: string(d, v, "", "remediation"), tests: tests,
                     file: d.file, location: d.location(""))
    }

    private mutating func parseInput(_ d: YAMLData, name: String, _ v: JSONValue) -> CheckInput? {
        let p = "inputs.\(name)"
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), name.first?.isLetter == true else {
            problem(d, p, "input names are letters, digits and _ (they become SQL parameters :\(name))")
            return nil
        }
        let typeText = string(d, v, p, "type")
        guard let kind = CheckInput.Kind(rawValue: typeText) else {
            if !typeText.isEmpty {
                problem(d, "\(p).type", "type must be one of \(CheckInput.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return nil
        }
        let input = CheckInput(name: name, kind: kind, defaultValue: v["default"] ?? .null,
                               description: string(d, v, p, "description"))
        if input.defaultValue == .null { problem(d, "\(p).default", "input \(name) needs a default") }
        else if case .failure(let why) = InputBinding.convert(input, input.defaultValue) {
            problem(d, "\(p).default", "default of \(name): \(why)")
        }
        return input
    }

    private mutating func parseTest(_ d: YAMLData, _ t: JSONValue, path p: String) -> CheckTestCase? {
        let name = string(d, t, p, "name")
        var facts: [(String, [[String: JSONValue]])] = []
        if let map = t["facts"]?.objectValue {
            for table in map.keys.sorted() {
                guard let rows = map[table]?.arrayValue else { problem(d, "\(p).facts.\(table)", "expected a list of rows"); continue }
                var out: [[String: JSONValue]] = []
                for (i, r) in rows.enumerated() {
                    if let o = r.objectValue { out.append(o) } else { problem(d, "\(p).facts.\(table).\(i)", "a row is a mapping of column: value") }
                }
                facts.append((table, out))
            }
        }
        var expect: [String: String] = [:]
        if let map = t["expect"]?.objectValue {
            for (resource, status) in map {
                guard let s = status.stringValue, Check.statuses.contains(s) else {
                    problem(d, "\(p).expect.\(resource)", "expected status must be one of \(Check.statuses.joined(separator: ", "))")
                    continue
                }
                expect[resource] = s
            }
        } else {
            problem(d, "\(p).expect", "each test case says what it expects: `expect: {resource: status}`")
        }
        var sources: [String: String] = [:]
        for (k, v) in t["sources"]?.objectValue ?? [:] { sources[k] = v.stringValue ?? "" }
        return CheckTestCase(name: name, now: t["now"]?.stringValue, inputs: t["inputs"]?.objectValue ?? [:],
                             sources: sources, facts: facts, expect: expect, location: d.location(p))
    }
}
