import Foundation
import VouchCore

extension ProfileSettings {
    /// Reads the control sections of a profile and checks them against the catalog.
    /// Every problem names the profile file and line and says what to write instead.
    public static func load(_ profile: Profile, catalog: Catalog) throws -> ProfileSettings {
        let data: YAMLData
        if let path = profile.path { data = try YAMLData.load(path: path) }
        else { data = YAMLData(value: profile.document, file: "profile", lines: [:]) }
        var reader = Reader(d: data, catalog: catalog)
        let settings = reader.read()
        if !reader.problems.isEmpty {
            throw CatalogError.invalid(location: data.file, reason: "the profile has \(reader.problems.count) problem(s):\n  "
                                       + reader.problems.joined(separator: "\n  "))
        }
        return settings
    }

    private struct Reader {
        let d: YAMLData
        let catalog: Catalog
        var problems: [String] = []

        mutating func problem(_ path: String, _ text: String) { problems.append("\(d.location(path)): \(text)") }

        mutating func text(_ v: JSONValue?, _ path: String, required: Bool = true) -> String? {
            if let s = v?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty { return s }
            if let i = v?.intValue { return String(i) }
            if required { problem(path, "`\(path.split(separator: ".").last ?? "")` is required (non-empty text)") }
            return nil
        }

        mutating func date(_ v: JSONValue?, _ path: String) -> Date? {
            guard let v, v != .null else {
                problem(path, "`\(path.split(separator: ".").last ?? "")` needs a date (YYYY-MM-DD)"); return nil
            }
            guard let d = DateText.parse(v) else { problem(path, "'\(v.stringValue ?? v.canonicalText)' is not a date: write YYYY-MM-DD"); return nil }
            return d
        }

        mutating func read() -> ProfileSettings {
            var s = ProfileSettings()
            let v = d.value
            s.organisation = v["organisation"]?.stringValue ?? v["organization"]?.stringValue
            s.scope = v["scope"]?.stringValue ?? v["scope"]?["statement"]?.stringValue
            if let age = v["evaluation"]?["max_evidence_age"] {
                if let secs = DurationText.seconds(age) { s.maxEvidenceAge = secs }
                else { problem("evaluation.max_evidence_age", "expected a duration like 8d or 36h") }
            }
            let allInputs = Dictionary(catalog.checks.values.flatMap { c in c.inputs.map { ($0.name, ($0, c.id)) } },
                                       uniquingKeysWith: { a, _ in a })
            for (name, value) in v["inputs"]?.objectValue ?? [:] {
                guard let (input, checkID) = allInputs[name] else {
                    problem("inputs.\(name)", "no check declares an input '\(name)'; `vouch controls show CHECK` lists inputs"); continue
                }
                if case .failure(let why) = InputBinding.convert(input, value) { problem("inputs.\(name)", "\(why) (used by \(checkID))") }
                s.inputs[name] = value
            }
            readChecks(&s)
            readApplicability(&s)
            readExceptions(&s)
            readAttestations(&s)
            return s
        }

        mutating func readChecks(_ s: inout ProfileSettings) {
            for (id, cv) in d.value["checks"]?.objectValue ?? [:] {
                let p = "checks.\(id)"
                guard let check = catalog.checks[id] else { problem(p, "there is no check '\(id)' in the catalog"); continue }
                var setting = CheckSetting()
                if let e = cv["enabled"] {
                    guard let b = e.boolValue else { problem("\(p).enabled", "expected true or false"); continue }
                    setting.enabled = b
                }
                setting.reason = cv["reason"]?.stringValue
                if !setting.enabled, setting.reason == nil { problem("\(p).reason", "say why the check is disabled (`reason:`)") }
                for (name, value) in cv["inputs"]?.objectValue ?? [:] {
                    guard let input = check.inputs.first(where: { $0.name == name }) else {
                        problem("\(p).inputs.\(name)", "check \(id) has no input '\(name)' (it has: \(check.inputs.map(\.name).joined(separator: ", ")))")
                        continue
                    }
                    if case .failure(let why) = InputBinding.convert(input, value) { problem("\(p).inputs.\(name)", why) }
                    setting.inputs[name] = value
                }
                s.checks[id] = setting
            }
        }

        mutating func readApplicability(_ s: inout ProfileSettings) {
            for (id, av) in d.value["applicability"]?.objectValue ?? [:] {
                let p = "applicability.\(id)"
                guard catalog.control(id) != nil else { problem(p, "there is no control '\(id)' in the catalog"); continue }
                var a = Applicability(applicable: true, justification: nil)
                if let b = av.boolValue { a.applicable = b }
                else if let b = av["applicable"]?.boolValue { a.applicable = b; a.justification = av["justification"]?.stringValue }
                else { problem(p, "write `applicable: true|false` and a `justification:`"); continue }
                if !a.applicable, (a.justification ?? "").isEmpty {
                    problem(p, "a control excluded from the Statement of Applicability needs a `justification:`")
                }
                s.applicability[id] = a
            }
        }

        mutating func readExceptions(_ s: inout ProfileSettings) {
            for (i, e) in (d.value["exceptions"]?.arrayValue ?? []).enumerated() {
                let p = "exceptions.\(i)"
                let check = text(e["check"], "\(p).check")
                if let check, catalog.checks[check] == nil { problem("\(p).check", "there is no check '\(check)' in the catalog") }
                let ex = (check, text(e["resource"], "\(p).resource"), text(e["reason"], "\(p).reason"),
                          text(e["approver"], "\(p).approver"), date(e["expires"], "\(p).expires"))
                if let c = ex.0, let r = ex.1, let why = ex.2, let who = ex.3, let until = ex.4 {
                    s.exceptions.append(Exception(check: c, resource: r, reason: why, approver: who, expires: until, location: d.location(p)))
                }
            }
        }

        mutating func readAttestations(_ s: inout ProfileSettings) {
            for (i, a) in (d.value["attestations"]?.arrayValue ?? []).enumerated() {
                let p = "attestations.\(i)"
                let control = text(a["control"], "\(p).control")
                if let control, catalog.control(control) == nil { problem("\(p).control", "there is no control '\(control)' in the catalog") }
                let review = a["review_by"] ?? a["review-by"]
                let at = (control, text(a["statement"], "\(p).statement"), text(a["owner"], "\(p).owner"),
                          date(a["date"], "\(p).date"), date(review, "\(p).review_by"))
                if let c = at.0, let st = at.1, let o = at.2, let dt = at.3, let rb = at.4 {
                    if rb < dt { problem("\(p).review_by", "review_by is before the attestation's date") }
                    s.attestations.append(Attestation(control: c, statement: st, owner: o, date: dt, reviewBy: rb,
                                                      evidence: a["evidence"]?.stringValue ?? a["evidence_link"]?.stringValue))
                }
            }
        }
    }
}
