import Foundation
import GRDB

extension Verifier {
    /// Checks the rows a pruned capture left behind for later captures (its git history, see
    /// `Pruning.prune`): their digests, with the ones its marker kept for the deleted tables,
    /// must give its facts digest, whose manifest and seal the marker (and so the chain) holds.
    func keptHistoryProblems(_ db: Database) throws -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        let markers = try Row.fetchAll(db, sql: """
            SELECT id, seal, prev_seal, manifest_sha256, manifest_fields, table_digests, kept_tables FROM capture_pruned
            WHERE kept_tables IS NOT NULL ORDER BY id
            """)
        for m in markers {
            let id: Int64 = m[0]
            func problem(_ message: String) { problems.append(VerifyProblem(captureID: id, message: message)) }
            guard let fields = try? JSONValue.parse(m[4] as String? ?? "").objectValue,
                  let stored = try? JSONValue.parse(m[5] as String? ?? "").objectValue,
                  let kept = try? JSONValue.parse(m[6] as String).arrayValue?.compactMap(\.stringValue),
                  let facts = fields["facts_sha256"]?.stringValue, let startedAt = fields["started_at"]?.stringValue,
                  let finishedAt = fields["finished_at"]?.stringValue, let host = fields["host"]?.stringValue,
                  let toolVersion = fields["tool_version"]?.stringValue, let sourceValues = fields["sources"]?.arrayValue
            else {
                problem("its pruning marker keeps history rows but its manifest fields or table digests are unreadable")
                continue
            }
            var digests: [(table: String, digest: String)] = []
            for (table, value) in stored {
                guard let digest = value.stringValue else { continue }
                if kept.contains(table) {
                    let now = try Seal.tableDigest(db, table: table, captureID: id) ?? "none"
                    if now != digest {
                        problem("the \(table) rows kept from this pruned capture for later captures were changed, added or deleted")
                    }
                    digests.append((table, now))
                } else {
                    digests.append((table, digest))
                }
            }
            if Seal.factsDigest(tableDigests: digests) != facts {
                problem("its pruning marker's table digests do not give the facts digest it was sealed with")
            }
            let sources = sourceValues.compactMap { v -> Seal.SourceLine? in
                guard let o = v.objectValue, let seq = o["seq"]?.intValue, let source = o["source"]?.stringValue,
                      let target = o["target"]?.stringValue, let status = o["status"]?.stringValue,
                      let set = o["set_sha256"]?.stringValue else { return nil }
                return Seal.SourceLine(seq: seq, source: source, target: target, status: status, setSHA256: set)
            }
            let manifest = Seal.manifest(id: id, startedAt: startedAt, finishedAt: finishedAt, host: host, toolVersion: toolVersion,
                                         profileSHA256: fields["profile_sha256"]?.stringValue, sources: sources, factsSHA256: facts)
            if manifest != (m[3] as String) || sources.count != sourceValues.count {
                problem("its pruning marker's manifest fields do not match its manifest hash")
            }
            if Seal.seal(previous: m[2], manifest: m[3]) != (m[1] as String) {
                problem("its pruning marker's seal does not match its manifest and previous seal")
            }
        }
        return problems
    }
}
