import Foundation
import VouchCore

/// Writes one host's module files as evidence items (redacted) and `nixos_option` rows.
enum NixHostWriter {
    static func write(_ reader: NixHostReader, host hostOption: String?, entry: URL, request: CollectRequest,
                      sink: CaptureSink) throws {
        let host = hostOption ?? hostName(reader) ?? defaultHost(entry)
        let redactor = request.redactor
        var optionCount = 0
        // The strongest priority per path on this host (lower wins, as in the NixOS module system).
        var strongest: [String: Int] = [:]
        for f in reader.files {
            for a in f.extraction?.assignments ?? [] { strongest[a.pathText] = min(strongest[a.pathText] ?? .max, a.priority) }
        }
        var fileNames: [String] = []
        for f in reader.files {
            fileNames.append(f.relative)
            guard let ex = f.extraction, let ast = f.ast else {
                try sink.addError(subject: "\(host):\(f.relative)", origin: f.url.path,
                                  message: f.error ?? "cannot read \(f.relative)")
                continue
            }
            // Secrets first: decide which values are secret and which bytes of the file to redact.
            let literalSpans = NixSecrets.literalSpans(ast)
            var spans = literalSpans
            var secretRows = Set<Int>()
            for (i, a) in ex.assignments.enumerated() {
                let overlapsSecretLiteral = literalSpans.contains { $0.overlaps(a.span) }
                if NixSecrets.isSecretPath(a.path) || overlapsSecretLiteral || containsSecret(a.value) {
                    secretRows.insert(i)
                    if !a.span.isEmpty { spans.append(a.span) }
                    // A value that came from elsewhere (a let binding) is scrubbed wherever its text appears.
                    for text in strings(a.value) { _ = NixSecrets.fingerprint(text, redactor) }
                }
            }
            let stored = NixSecrets.redact(f.bytes, spans: spans, redactor: redactor)
            let blob = try sink.storeBlob(stored)
            let imports = ex.imports.map { JSONValue.string($0.relativePath ?? redactor.scrub($0.source)) }
            let itemID = try sink.add(EvidenceItem(
                kind: "nixos.module", subject: "\(host):\(f.relative)", origin: f.url.path,
                data: .object([
                    "host": .string(host), "file": .string(f.relative), "size": .int(Int64(f.bytes.count)),
                    "options": .int(Int64(ex.assignments.count)), "imports": .array(imports),
                    "unresolved_imports": .int(Int64(ex.imports.filter { $0.relativePath == nil }.count)),
                    "redacted": .bool(stored.count != f.bytes.count || !spans.isEmpty),
                ]),
                blobSHA256: blob))
            for (i, a) in ex.assignments.enumerated() {
                try insert(a, secret: secretRows.contains(i), effective: strongest[a.pathText] == a.priority, host: host,
                           file: f.relative, itemID: itemID, redactor: redactor, sink: sink)
                optionCount += 1
            }
            // Imports Vouch cannot follow are kept as unevaluated `imports` rows, so they are visible.
            for imp in ex.imports where imp.relativePath == nil {
                let src = redactor.scrub(imp.source)
                try sink.insertFact("nixos_option", [
                    "evidence_id": itemID, "host": host, "path": "imports", "value": JSONValue.string(src).canonicalText,
                    "value_text": src, "value_type": "expression", "file": f.relative, "line": imp.line, "col": imp.column,
                    "condition": nil, "priority": 100, "evaluated": 0, "secret": 0, "legacy_path": nil,
                ])
            }
            for (rel, line, col) in f.missingImports {
                try sink.addError(subject: "\(host):\(f.relative)", origin: f.url.path,
                                  message: "\(f.relative):\(line):\(col): imports \(rel), which does not exist; add the file or collect from the folder that holds it")
            }
        }
        try sink.add(EvidenceItem(kind: "nixos.host", subject: host, origin: entry.path, data: .object([
            "host": .string(host), "entry": .string(reader.relativeName(entry)),
            "files": .array(fileNames.map(JSONValue.string)), "options": .int(Int64(optionCount)),
        ])))
    }

    static func insert(_ a: NixOptionAssignment, secret: Bool, effective: Bool, host: String, file: String, itemID: Int64,
                       redactor: Redactor, sink: CaptureSink) throws {
        let value: JSONValue
        let text: String?
        let type: String
        if secret {
            let fp = NixSecrets.fingerprint(a.value.flatMap(\.plainText) ?? a.source, redactor)
            value = .string(fp)
            text = fp
            type = a.value?.typeName ?? "expression"
        } else if let v = a.value {
            value = v.json
            text = v.plainText
            type = v.typeName
        } else {
            let src = redactor.scrub(a.source)
            value = .string(src)
            text = src
            type = "expression"
        }
        try sink.insertFact("nixos_option", [
            "evidence_id": itemID, "host": host, "path": a.pathText, "value": value.canonicalText, "value_text": text,
            "value_type": type, "file": file, "line": a.line, "col": a.column, "condition": a.condition.map(redactor.scrub),
            "priority": a.priority, "evaluated": a.value != nil ? 1 : 0, "secret": secret ? 1 : 0, "legacy_path": a.legacyPath,
            "effective": effective ? 1 : 0, "source_text": secret ? nil : redactor.scrub(a.source),
        ])
    }

    static func strings(_ v: NixValue?) -> [String] {
        switch v {
        case .string(let s)?, .path(let s)?: return [s]
        case .list(let items)?: return items.flatMap { strings($0) }
        case .set(let o)?: return o.values.flatMap { strings($0) }
        default: return []
        }
    }

    static func containsSecret(_ v: NixValue?) -> Bool {
        switch v {
        case .string(let s)?: return NixSecrets.looksSecret(s)
        case .list(let items)?: return items.contains { containsSecret($0) }
        case .set(let o)?: return o.values.contains { containsSecret($0) }
        default: return false
        }
    }

    /// `networking.hostName` when a module sets it to a constant.
    static func hostName(_ reader: NixHostReader) -> String? {
        for f in reader.files {
            for a in f.extraction?.assignments ?? [] where a.path == ["networking", "hostName"] {
                if case .string(let s)? = a.value, !s.isEmpty { return s }
            }
        }
        return nil
    }

    /// The entry's name: `hosts/web01/default.nix` → `web01`, `web01.nix` → `web01`.
    static func defaultHost(_ entry: URL) -> String {
        let stem = entry.deletingPathExtension().lastPathComponent
        if ["configuration", "default", "flake"].contains(stem) {
            let dir = entry.deletingLastPathComponent().lastPathComponent
            return dir.isEmpty || dir == "/" ? stem : dir
        }
        return stem
    }
}
