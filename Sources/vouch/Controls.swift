import ArgumentParser
import Foundation
import VouchControls
import VouchCore

extension Vouch {
    struct Controls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explore and check the controls catalog: list, show, lint.",
            subcommands: [List.self, Show.self, Lint.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One line per control: id, theme, checks or manual, title. --checks lists the checks.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var catalogOptions: CatalogOptions
            @Flag(help: "List the checks instead of the controls.") var checks = false

            func run() async throws {
                try runMapped {
                    let catalog = try catalogOptions.load(profile: try global.loadProfile())
                    if checks {
                        for c in catalog.sortedChecks {
                            print("\(c.id)  [\(c.severity)]  \(c.sources.joined(separator: ","))  \(c.title)  → \(catalog.controls(using: c.id).joined(separator: ", "))")
                        }
                        return
                    }
                    for c in catalog.controls {
                        let how = c.isManualOnly ? "manual" : "\(c.checks.count) check\(c.checks.count == 1 ? "" : "s")"
                        print("\(c.id)  \(c.theme)  \(how)  \(c.title)")
                    }
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A control (guidance, checks, expected attestation) or a check (inputs, SQL, tests).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var catalogOptions: CatalogOptions
            @Argument(help: "A control id (e.g. A.8.15) or a check id.") var id: String

            func run() async throws {
                try runMapped {
                    let catalog = try catalogOptions.load(profile: try global.loadProfile())
                    if let c = catalog.control(id) ?? catalog.controls.first(where: { $0.id.lowercased() == id.lowercased() }) {
                        print("\(c.id)  \(c.title)\ntheme: \(catalog.framework.themeTitles[c.theme] ?? c.theme)\n\nguidance:\n  \(c.guidance)")
                        if let m = c.manual { print("\nexpected attestation:\n  \(m)") }
                        print("\nchecks:\(c.checks.isEmpty ? " none (manual)" : "")")
                        for id in c.checks { print("  \(id)  \(catalog.checks[id]?.title ?? "(missing)")") }
                        return
                    }
                    guard let k = catalog.checks[id] else { throw EvaluateError.unknownControl(id) }
                    print("\(k.id)  \(k.title)\nseverity: \(k.severity)\nsources: \(k.sources.joined(separator: ", "))")
                    print("controls: \(catalog.controls(using: k.id).joined(separator: ", "))\ndefined in: \(k.location)")
                    if !k.description.isEmpty { print("\n\(k.description)") }
                    if !k.inputs.isEmpty { print("\ninputs:") }
                    for i in k.inputs { print("  \(i.name) (\(i.kind.rawValue), default \(i.defaultValue.canonicalText)): \(i.description)") }
                    print("\nremediation:\n  \(k.remediation)\n\nsql:\n\(k.sql)\n\ntest cases: \(k.tests.map(\.name).joined(separator: "; "))")
                }
            }
        }

        struct Lint: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check the catalog: schema, references, every check's SQL against the store schema, every check's test cases.",
                discussion: "Exit 0 when clean, 1 when problems were found, 2 when the catalog cannot be read.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var catalogOptions: CatalogOptions
            @Flag(help: "Do not run the checks' test cases.") var noTests = false

            func run() async throws {
                try runMapped {
                    let found = try catalogOptions.locate(profile: try global.loadProfile())
                    let r = try CatalogLint.run(directory: found.directory, origin: found.origin, runTests: !noTests)
                    for p in r.problems { print(p) }
                    print("\(r.problems.isEmpty ? "ok" : "\(r.problems.count) problem(s)"): \(r.controls) controls, \(r.checks) checks, \(r.testCases) test cases in \(found.directory.path) (\(found.origin))")
                    if !r.problems.isEmpty { throw ExitCode(1) }
                }
            }
        }
    }
}
