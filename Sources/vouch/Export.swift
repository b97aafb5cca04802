import ArgumentParser
import Foundation
import GRDB
import VouchControls
import VouchCore
import VouchReports

extension Vouch {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a signed auditor bundle: reports, evidence, blobs, catalog and profile, and a manifest.",
            discussion: """
                The bundle is one zip file an auditor can archive and check offline with \
                `vouch verify FILE.zip --public-key KEY`, without the store. Two exports of the same store with the \
                same --generated-at are byte-identical apart from the signature.
                The signing key is --sign-key, else the profile's `signing: {key: PATH}`; without one the bundle is unsigned.
                Exit 0 when written, 2 on a usage or store error.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var catalogOptions: CatalogOptions

        @Option(help: ArgumentHelp("The zip file to write.", valueName: "FILE.zip"))
        var bundle: String

        @Option(help: "Export this capture (default: the newest).")
        var capture: Int64?

        @Option(help: "Export the captures from this id …") var from: Int64?
        @Option(help: "… to this id (inclusive).") var to: Int64?

        @Option(help: ArgumentHelp("The Ed25519 private key to sign the manifest with.", valueName: "KEY"))
        var signKey: String?

        @Option(help: ArgumentHelp("The generation time recorded in the bundle and its reports (ISO 8601).", valueName: "TIME"))
        var generatedAt: String?

        func validate() throws {
            if capture != nil, from != nil || to != nil { throw ValidationError("give either --capture or --from/--to, not both") }
            if let from, let to, from > to { throw ValidationError("--from must not be after --to") }
            _ = try ReportGenerator.generationTime(generatedAt)
        }

        func run() async throws {
            try runMapped {
                _ = global.logger()
                let profile = try global.loadProfile()
                let store = try global.openStore()
                let ids = try chosenCaptures(store)
                let generated = try ReportGenerator.generationTime(generatedAt)
                let keyPath = signKey ?? profile["signing"]?["key"]?.stringValue.map { profile.directory.appendingPathComponent($0).path }
                let key = try keyPath.map { try SigningKeys.loadPrivate(path: $0) }
                let options = ReportOptions(captureID: ids.last, generatedAt: generated,
                                            organisation: profile["organisation"]?.stringValue ?? profile["organization"]?.stringValue,
                                            scope: profile["scope"]?.stringValue)
                let model = try ReportLoader(store: store, options: options).load()
                var exporter = BundleExporter(store: store, captureIDs: ids, generatedAt: generated, signingKey: key)
                exporter.reports = try ReportGenerator().render(model, formats: [.html, .oscal, .json])
                if let path = profile.path {
                    exporter.extraFiles.append(("profile/" + URL(fileURLWithPath: path).lastPathComponent, URL(fileURLWithPath: path)))
                    exporter.profileSHA256 = profile.sha256
                }
                if let catalog = (try? catalogOptions.locate(profile: profile))?.directory {
                    let files = try Self.files(under: catalog)
                    exporter.extraFiles += files.map { ("catalog/" + $0, catalog.appendingPathComponent($0)) }
                    exporter.catalogSHA256 = model.evaluation?.catalogSHA256
                }
                let summary = try exporter.export(to: bundle)
                print("wrote \(summary.path): captures \(summary.captures.map(String.init).joined(separator: ", ")), \(summary.items) items, \(summary.blobs) blobs (\(summary.bytes) bytes), \(summary.files) files")
                print(summary.keyID.map { "signed with \($0)" } ?? "unsigned (give --sign-key to sign it)")
            }
        }

        func chosenCaptures(_ store: EvidenceStore) throws -> [Int64] {
            if from == nil, to == nil { return [try store.resolveCapture(capture)] }
            let low = from ?? 0, high = to ?? Int64.max
            let ids = try store.pool.read { db in
                try Int64.fetchAll(db, sql: "SELECT id FROM capture WHERE id BETWEEN ? AND ? ORDER BY id", arguments: [low, high])
            }
            guard !ids.isEmpty else { throw BundleError.noCaptures("no capture between \(low) and \(high)") }
            return ids
        }

        static func files(under dir: URL) throws -> [String] {
            guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
            var out: [String] = []
            for case let p as String in e {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue {
                    out.append(p)
                }
            }
            return out.sorted()
        }
    }
}
