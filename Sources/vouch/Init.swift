import ArgumentParser
import Foundation
import VouchControls
import VouchCore

extension Vouch {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a commented starter profile (vouch.yaml), taken from the controls catalog.",
            discussion: "Refuses to replace an existing file unless --force is given. Exit 0 when written, 2 otherwise.")

        @OptionGroup var catalogOptions: CatalogOptions
        @Option(help: ArgumentHelp("Where to write the profile.", valueName: "FILE")) var path: String = "vouch.yaml"
        @Flag(help: "Replace an existing file.") var force = false

        func run() async throws {
            try runMapped {
                if FileManager.default.fileExists(atPath: path), !force {
                    throw ValidationError("\(path) exists already; pass --force to replace it, or --path to write elsewhere")
                }
                let catalog = try catalogOptions.load(profile: .empty)
                guard let starter = catalog.starterProfile, let data = try? Data(contentsOf: starter) else {
                    throw CatalogError.invalid(location: catalog.directory.path, reason: "the catalog names no starter profile (`starter_profile:` in framework.yaml)")
                }
                do { try data.write(to: URL(fileURLWithPath: path)) } catch {
                    throw ValidationError("cannot write \(path): \(error.localizedDescription)")
                }
                print("wrote \(path) (from \(catalog.origin): \(starter.path)): edit its sources, scope, applicability and attestations, then run `vouch collect` and `vouch evaluate`")
            }
        }
    }
}
