import ArgumentParser
import Foundation
import VouchCore

extension Vouch {
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an Ed25519 key pair for signing capture seals and auditor bundles.",
            discussion: """
                Writes DIR/vouch-signing.key (PKCS#8 PEM, mode 0600) and DIR/vouch-signing.pub (PEM). Give the \
                public key to your auditors through a channel they trust; keep the private key off the audited hosts \
                where you can. Never overwrites an existing key. Exit 0 when written, 2 otherwise.
                """)

        @Option(help: ArgumentHelp("The folder to write the key pair into.", valueName: "DIR"))
        var out: String

        func run() async throws {
            try runMapped {
                let keys = try SigningKeys.generate(into: URL(fileURLWithPath: out))
                print("key \(keys.keyID)")
                print("private key: \(keys.privateKey.path) (mode 0600: keep it secret)")
                print("public key:  \(keys.publicKey.path) (give this to your auditors)")
            }
        }
    }
}
