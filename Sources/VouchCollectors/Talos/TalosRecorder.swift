import Foundation
import GRDB
import VouchCore
import Yams

/// What a Talos file turned out to be, judged from its content (not its name).
enum TalosFileKind: Equatable {
    case config
    case talosctlYAML
    case talosctlJSON
    case jsonPatch
    case strategicPatch
    case talconfig
    case unrecognized(String)
}

/// Writes one `talos` source run into the capture: reads and classifies files, then hands each to
/// the config, talosctl or patch recorder.
final class TalosRecorder {
    let sink: CaptureSink
    let request: CollectRequest
    let maxFileBytes: Int64
    let maxValues: Int
    private(set) var skipped: [String] = []
    private(set) var recordedConfigs = 0
    private(set) var recordedPatches = 0
    private let settingInsert: BulkInsert
    private let patchInsert: Statement

    init(sink: CaptureSink, request: CollectRequest, maxFileBytes: Int64, maxValues: Int) throws {
        self.sink = sink
        self.request = request
        self.maxFileBytes = maxFileBytes
        self.maxValues = maxValues
        settingInsert = try BulkInsert(sink.db, sql: """
            INSERT INTO talos_setting(capture_id, evidence_id, node, file, source_type, document, path, value, raw, secret, encrypted, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        patchInsert = try sink.db.makeStatement(sql: """
            INSERT INTO talos_patch(capture_id, evidence_id, file, scope, patch_index, patch_type, op, document, path, value, secret, encrypted)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Reads one file. `named`: the user named this file, so content that is not Talos is an error.
    func recordFile(_ url: URL, display: String, named: Bool = false) throws {
        try recordRead(Self.readFile(url, display: display, source: sink.source, maxFileBytes: maxFileBytes, maxValues: maxValues),
                       url: url, display: display, named: named)
    }

    /// What reading one file gave, before anything is written.
    enum FileRead {
        case unreadable(TalosInputError)
        /// Text that may be a talosctl JSON stream: classified and recorded by the writer.
        case jsonText(String)
        /// YAML parsed and classified; a config also flattened and redacted.
        case yaml(text: String, parsed: ParsedYAML, prepared: PreparedConfig?)

        /// The size of the text read (what the parsed and prepared forms grow with).
        static func textBytes(_ read: FileRead) -> Int {
            switch read {
            case .unreadable: return 0
            case .jsonText(let text), .yaml(let text, _, _): return text.utf8.count
            }
        }
    }

    /// Reads, parses and (for a config) prepares a file without touching the store, so it can run
    /// on another thread. `recordRead` then writes it exactly as if it had been done in place.
    static func readFile(_ url: URL, display: String, source: String, maxFileBytes: Int64, maxValues: Int) -> FileRead {
        let text: String
        do {
            let data = try TalosYAML.readFile(url, display: display, limit: maxFileBytes)
            text = try TalosYAML.decode(data, display: display)
        } catch let e as TalosInputError {
            return .unreadable(e)
        } catch {
            return .unreadable(.unreadable(file: display, reason: "\(error)"))
        }
        if mayBeJSONStream(text) { return .jsonText(text) }
        let parsed = parseYAML(text, display: display)
        let prepared = parsed.kind == .config
            ? prepareConfig(configInput(parsed, display: display, origin: url.path), source: source, maxValues: maxValues) : nil
        return .yaml(text: text, parsed: parsed, prepared: prepared)
    }

    /// Writes what `readFile` gave.
    func recordRead(_ read: FileRead, url: URL, display: String, named: Bool) throws {
        switch read {
        case .unreadable(let e):
            try sink.addError(subject: display, origin: url.path, message: e.errorDescription ?? "\(e)")
        case .jsonText(let text):
            try recordText(text, display: display, origin: url.path, named: named)
        case .yaml(let text, let parsed, let prepared):
            try recordParsed(parsed, text: text, display: display, origin: url.path, named: named, prepared: prepared)
        }
    }

    /// Classifies and records a file's text.
    func recordText(_ text: String, display: String, origin: String, named: Bool) throws {
        if Self.mayBeJSONStream(text), try recordJSONStream(text, display: display, origin: origin) { return }
        try recordParsed(Self.parseYAML(text, display: display), text: text, display: display, origin: origin, named: named)
    }

    /// Whether the text starts like JSON (`{`): then it may be a talosctl `-o json` stream.
    static func mayBeJSONStream(_ text: String) -> Bool { text.first(where: { !$0.isWhitespace }) == "{" }

    /// Records a talosctl JSON stream; false when the text is not one (it is then read as YAML).
    func recordJSONStream(_ text: String, display: String, origin: String) throws -> Bool {
        do {
            let objects = try TalosctlOutput.splitJSONStream(text, display: display)
            if objects.contains(where: { $0.value["metadata"] != nil }) {
                try TalosctlOutput(recorder: self).recordJSON(objects, display: display, origin: origin, sourceType: "declared")
                return true
            }
        } catch let e as TalosInputError where text.contains("\"metadata\"") {
            // A broken talosctl -o json capture: say so, rather than reporting it as broken YAML.
            try sink.addError(subject: display, origin: origin, message: e.errorDescription ?? "\(e)")
            return true
        } catch {
            // Not a talosctl stream: read it as YAML below (JSON is YAML).
        }
        return false
    }

    /// A file's YAML documents, parse errors and kind.
    struct ParsedYAML {
        var docs: [YAMLDocument]
        var errors: [TalosInputError]
        var kind: TalosFileKind
    }

    static func parseYAML(_ text: String, display: String) -> ParsedYAML {
        let parsed = TalosYAML.documents(text, display: display)
        let docs = parsed.compactMap { try? $0.get() }
        let errors = parsed.compactMap { r -> TalosInputError? in if case .failure(let e) = r { return e }; return nil }
        return ParsedYAML(docs: docs, errors: errors, kind: classify(docs.compactMap(\.root), text: text))
    }

    /// Records parsed YAML by its kind. `prepared`: the config already prepared from `parsed` (kind `.config`).
    func recordParsed(_ parsed: ParsedYAML, text: String, display: String, origin: String, named: Bool,
                      prepared: PreparedConfig? = nil) throws {
        let docs = parsed.docs, errors = parsed.errors, kind = parsed.kind
        switch kind {
        case .config:
            if let prepared { try writeConfig(prepared); return }
            try recordConfig(Self.configInput(parsed, display: display, origin: origin))
        case .talosctlYAML:
            for e in errors { try sink.addError(subject: display, origin: origin, message: e.errorDescription ?? "\(e)") }
            try TalosctlOutput(recorder: self).recordYAML(docs, display: display, origin: origin, sourceType: "declared")
        case .jsonPatch, .strategicPatch, .talconfig:
            for e in errors { try sink.addError(subject: display, origin: origin, message: e.errorDescription ?? "\(e)") }
            try TalosPatches(recorder: self).record(docs, kind: kind, text: text, display: display, origin: origin)
        case .talosctlJSON:
            break
        case .unrecognized(let why):
            if !errors.isEmpty {
                for e in errors { try sink.addError(subject: display, origin: origin, message: e.errorDescription ?? "\(e)") }
            } else if named {
                try sink.addError(subject: display, origin: origin,
                                  message: "\(display): not a Talos machine config, talosctl output or patch (\(why)); "
                                      + "point the talos source at a config such as controlplane.yaml")
            } else {
                skipped.append(display)
            }
        }
    }

    /// The config input of a declared config file.
    static func configInput(_ parsed: ParsedYAML, display: String, origin: String) -> ConfigInput {
        ConfigInput(documents: parsed.docs, errors: parsed.errors, file: display, origin: origin, sourceType: "declared",
                    fallbackNode: display)
    }

    /// Decides what a stream of YAML documents is.
    static func classify(_ roots: [Node], text: String) -> TalosFileKind {
        guard let firstRoot = roots.first else { return .unrecognized("no YAML document in it") }
        if case .sequence(let seq) = firstRoot {
            let ops = seq.allSatisfy { $0.mapping?["op"] != nil && $0.mapping?["path"] != nil }
            return ops && !seq.isEmpty ? .jsonPatch : .unrecognized("a YAML list that is not a JSON patch")
        }
        let maps = roots.compactMap(\.mapping)
        if maps.contains(where: { $0["metadata"]?.mapping != nil && $0["spec"] != nil }) { return .talosctlYAML }
        if let m = maps.first, m["clusterName"] != nil, m["nodes"] != nil { return .talconfig }
        let hasV1Config = maps.contains { m in
            m["version"]?.string == "v1alpha1" && m["machine"]?.mapping?["type"] != nil
        }
        // Byte search first: `$patch` is ASCII, so a text without its bytes cannot contain it.
        if hasV1Config && !(SafeText.contains(text, "$patch") && text.contains("$patch")) { return .config }
        let talosShaped = maps.contains { m in
            m["version"] != nil || m["machine"] != nil || m["cluster"] != nil || (m["apiVersion"] != nil && m["kind"] != nil)
        }
        return talosShaped ? .strategicPatch : .unrecognized("no `version: v1alpha1`, `machine:`, `cluster:` or `kind:` document")
    }

    /// One summary item per folder: how many files were read and which were not Talos files.
    func recordScanSummary(root: String, fileCount: Int) throws {
        let data: JSONValue = [
            "files": .int(Int64(fileCount)), "configs": .int(Int64(recordedConfigs)), "patches": .int(Int64(recordedPatches)),
            "skipped": .array(skipped.prefix(1000).map { .string($0) }), "skipped_count": .int(Int64(skipped.count)),
        ]
        try sink.add(EvidenceItem(kind: "talos.scan", subject: root, origin: request.targetURL.path, data: data))
    }

    // MARK: - Fact rows

    func insertSetting(_ s: FlatSetting, valueText: String? = nil, evidenceID: Int64, node: String, file: String,
                       sourceType: String) throws {
        let captureID = sink.captureID
        try settingInsert.run { v in
            v.add(captureID); v.add(evidenceID); v.add(node); v.add(file); v.add(sourceType); v.add(s.document); v.add(s.path)
            v.add(valueText ?? s.value.canonicalText); v.add(s.raw); v.add(s.secret ? 1 : 0); v.add(s.encrypted ? 1 : 0); v.add(s.line)
        }
    }

    func insertPatch(evidenceID: Int64, file: String, scope: String, index: Int, type: String, op: String,
                     document: String, path: String, value: String?, secret: Bool, encrypted: Bool) throws {
        try patchInsert.execute(arguments: [sink.captureID, evidenceID, file, scope, index, type, op, document, path, value,
                                            secret ? 1 : 0, encrypted ? 1 : 0])
    }

    /// The value budget for a file: without aliases a YAML text cannot hold more values than twice its
    /// bytes, so anything beyond that (or beyond `max_values`) is alias expansion, and is stopped.
    func valueLimit(bytes: Int) -> Int { Self.valueLimit(bytes: bytes, maxValues: maxValues) }
    static func valueLimit(bytes: Int, maxValues: Int) -> Int { min(maxValues, max(10_000, 2 * bytes)) }

    func notePatchFile() { recordedPatches += 1 }
    func noteConfig() { recordedConfigs += 1 }
}
