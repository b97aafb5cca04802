import ArgumentParser
import Foundation
import VouchCollectors

extension Vouch {
    /// A hidden debugging aid: parse one Nix file with Vouch's parser (and time it, for the benchmark).
    struct NixParse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nix-parse",
            abstract: "Parse a Nix file with Vouch's parser; print its tree (--print) or its size and speed.",
            shouldDisplay: false)

        @Argument(help: "The .nix file.")
        var file: String

        @Flag(help: "Print the syntax tree as an S-expression.")
        var print = false

        func run() async throws {
            try runMapped {
                let start = Date()
                let (expr, size) = try NixParser.parseFile(atPath: file)
                let seconds = Date().timeIntervalSince(start)
                if print {
                    Swift.print(NixPrinter.sexpr(expr))
                } else {
                    Swift.print(String(format: "ok: %d bytes parsed in %.3f s (%.1f MB/s)", size, seconds, Double(size) / 1e6 / max(seconds, 1e-9)))
                }
                // Exit with the tree alive: freeing millions of nodes one by one is work nobody needs.
                withExtendedLifetime(expr) { Foundation.exit(0) }
            }
        }
    }
}
