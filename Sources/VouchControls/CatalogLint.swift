import Foundation
import GRDB
import VouchCore

/// `vouch controls lint`: the catalog's schema, references, every check's SQL against the store
/// schema, and every check's test cases (which are also run).
public enum CatalogLint {
    public struct Report: Sendable {
        public var problems: [String]
        public var checks: Int
        public var controls: Int
        public var testCases: Int
        public var catalog: Catalog?
    }

    public static func run(directory: URL, origin: String, runTests: Bool = true) throws -> Report {
        var loader = CatalogLoader(directory: directory, origin: origin)
        let catalog = try loader.read()
        var problems = loader.problems
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        var cases = 0
        try queue.read { db in
            for check in catalog.sortedChecks {
                problems += sqlProblems(check, db)
                if check.tests.isEmpty { problems.append("\(check.location): check \(check.id) has no test cases (`tests:`)") }
                cases += check.tests.count
            }
        }
        if runTests {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vouch-lint-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            for check in catalog.sortedChecks {
                for (i, tc) in check.tests.enumerated() {
                    do {
                        let mismatches = try CheckTestHarness.run(check, tc, storePath: dir.appendingPathComponent("\(check.id)-\(i).db").path)
                        problems += mismatches.map { "\(tc.location): check \(check.id), test '\(tc.name)': \($0)" }
                    } catch {
                        problems.append("\(tc.location): check \(check.id), test '\(tc.name)' could not run: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
                    }
                }
            }
        }
        return Report(problems: problems, checks: catalog.checks.count, controls: catalog.controls.count, testCases: cases, catalog: catalog)
    }

    /// Prepares the SQL against the current schema and checks its parameters and columns.
    static func sqlProblems(_ check: Check, _ db: Database) -> [String] {
        var out: [String] = []
        let known = InputBinding.knownNames(check)
        for name in InputBinding.parameterNames(in: check.sql) where !known.contains(name) {
            out.append("\(check.location): check \(check.id) uses :\(name), which is neither a built-in (\(InputBinding.builtins.joined(separator: ", "))) nor a declared input")
        }
        do {
            let statement = try db.makeStatement(sql: check.sql)
            if !statement.isReadonly { out.append("\(check.location): check \(check.id): the SQL must only read") }
            let cols = Set(statement.columnNames)
            for c in ["resource", "status", "reason"] where !cols.contains(c) {
                out.append("\(check.location): check \(check.id): the SQL must return a column named \(c)")
            }
        } catch let e as DatabaseError {
            out.append("\(check.location): check \(check.id): the SQL does not prepare against the store schema: \(e.message ?? "\(e)")")
        } catch {
            out.append("\(check.location): check \(check.id): \(error)")
        }
        return out
    }
}
