import Crypto
import Foundation
import GRDB

/// Ed25519 signatures over capture seals: a seal proves the capture is unchanged, the
/// signature proves which key holder sealed it.
public enum CaptureSigning {
    /// The bytes signed for a capture (domain-separated, so a signature means nothing elsewhere).
    public static func message(captureID: Int64, seal: String) -> Data {
        Data("vouch.capture-signature.v1\n\(captureID)\n\(seal)\n".utf8)
    }

    /// Signs every capture that this key has not signed yet; returns the ids it signed.
    @discardableResult
    public static func signUnsigned(_ store: EvidenceStore, key: Curve25519.Signing.PrivateKey, now: Date = Date()) throws -> [Int64] {
        let keyID = SigningKeys.keyID(key.publicKey)
        let publicKey = key.publicKey.rawRepresentation.base64EncodedString()
        return try store.pool.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, seal FROM capture WHERE id NOT IN (SELECT capture_id FROM capture_signature WHERE key_id = ?) ORDER BY id
                """, arguments: [keyID])
            var signed: [Int64] = []
            for r in rows {
                let id: Int64 = r["id"]
                let signature = try key.signature(for: message(captureID: id, seal: r["seal"]))
                try db.execute(sql: """
                    INSERT INTO capture_signature(capture_id, key_id, public_key, signature, signed_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [id, keyID, publicKey, signature.base64EncodedString(), Timestamp.string(now)])
                signed.append(id)
            }
            return signed
        }
    }

    /// One stored signature.
    public struct Stored: Sendable, Hashable {
        public var captureID: Int64
        public var keyID: String
        public var publicKey: String
        public var signature: String

        public init(captureID: Int64, keyID: String, publicKey: String, signature: String) {
            self.captureID = captureID
            self.keyID = keyID
            self.publicKey = publicKey
            self.signature = signature
        }
    }

    public static func signatures(_ db: Database, captureIDs: [Int64]? = nil) throws -> [Stored] {
        guard try db.tableExists("capture_signature") else { return [] }
        var sql = "SELECT capture_id, key_id, public_key, signature FROM capture_signature"
        if let ids = captureIDs { sql += " WHERE capture_id IN (\(ids.map(String.init).joined(separator: ",")))" }
        return try Row.fetchAll(db, sql: sql + " ORDER BY capture_id, key_id").map {
            Stored(captureID: $0[0], keyID: $0[1], publicKey: $0[2], signature: $0[3])
        }
    }

    /// Whether a signature over a capture seal verifies with a public key (raw base64 form).
    public static func isValid(captureID: Int64, seal: String, publicKey: String, signature: String) -> Bool {
        guard let raw = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
              let sig = Data(base64Encoded: signature)
        else { return false }
        return key.isValidSignature(sig, for: message(captureID: captureID, seal: seal))
    }

    /// Checks the store's capture signatures. With `trusted`, every capture must carry a valid
    /// signature by that key; without, every stored signature must verify with its own public key.
    public static func verify(_ store: EvidenceStore, trusted: Curve25519.Signing.PublicKey?) throws -> [VerifyProblem] {
        try store.pool.read { db in
            let seals = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, seal FROM capture ORDER BY id")
                .map { ($0[0] as Int64, $0[1] as String) })
            var problems: [VerifyProblem] = []
            let stored = try signatures(db)
            for s in stored {
                guard let seal = seals[s.captureID] else { continue }
                let derivedID = Data(base64Encoded: s.publicKey).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
                    .map(SigningKeys.keyID)
                if derivedID != s.keyID {
                    problems.append(VerifyProblem(captureID: s.captureID, message: "signature by \(s.keyID): its stored public key does not match the key id"))
                } else if !isValid(captureID: s.captureID, seal: seal, publicKey: s.publicKey, signature: s.signature) {
                    problems.append(VerifyProblem(captureID: s.captureID, message: "signature by \(s.keyID) does not verify over the capture's seal"))
                }
            }
            if let trusted {
                let id = SigningKeys.keyID(trusted)
                let raw = trusted.rawRepresentation.base64EncodedString()
                let byTrusted = Set(stored.filter {
                    $0.keyID == id && isValid(captureID: $0.captureID, seal: seals[$0.captureID] ?? "", publicKey: raw, signature: $0.signature)
                }.map(\.captureID))
                for capture in seals.keys.sorted() where !byTrusted.contains(capture) {
                    problems.append(VerifyProblem(captureID: capture, message: "no valid signature by the given public key \(id)"))
                }
            }
            return problems
        }
    }
}
