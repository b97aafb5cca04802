import Foundation
import VouchCore

/// One side of a commit: author or committer.
struct GitPerson: Sendable {
    var name: String
    var email: String
    var time: String
    var epoch: Int64
    var tz: Int
}

/// One file changed by a commit against its first parent.
struct GitChangeFacts: Sendable {
    var path: String
    var status: String
    var oldPath: String?
    var additions: Int64?
    var deletions: Int64?
    var binary: Bool
    var tooLarge: Bool
    var oldMode: Int64?
    var newMode: Int64?
    var oldBlob: String?
    var newBlob: String?
    var similarity: Int64?
}

/// Everything read from one commit object (content only: nothing that depends on the capture).
struct GitCommitFacts: Sendable {
    var id: String
    var tree: String
    var parents: [String]
    var author: GitPerson
    var committer: GitPerson
    var summary: String
    var message: String
    var messageSHA256: String
    var encoding: String?
    var signatureType: String
    var trailers: String
    var reviewCount: Int
    var pullRequest: (number: Int64, source: String)?
    var mergedAuthorEmail: String?
    var mergerDiffers: Bool
    var shallow: Bool
    /// nil when changes were not asked for; empty for a commit that changes nothing.
    var changes: [GitChangeFacts]?
    /// Why the changes could not be read (a missing tree or blob), if so.
    var changesError: String?

    var isMerge: Bool { parents.count > 1 }
}

/// ISO 8601 UTC text for epoch seconds: `Timestamp.string(epochSeconds:)`, written in place (two per commit).
enum GitTime {
    static func iso(_ epoch: Int64) -> String {
        var t = time_t(epoch)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let year = Int(tmv.tm_year) + 1900
        // Years past 9999 (or before 0) do not fit the fixed 24 bytes.
        guard (0...9999).contains(year) else { return Timestamp.string(epochSeconds: epoch) }
        // One allocation: the text is written in place (two per commit, on the hot path of a metadata capture).
        return String(unsafeUninitializedCapacity: 24) { out in
            var i = 0
            func put(_ v: Int, _ width: Int) {
                var x = v
                for k in stride(from: width - 1, through: 0, by: -1) { out[i + k] = UInt8(48 + x % 10); x /= 10 }
                i += width
            }
            func sep(_ c: UInt8) { out[i] = c; i += 1 }
            put(year, 4); sep(45); put(Int(tmv.tm_mon) + 1, 2); sep(45); put(Int(tmv.tm_mday), 2); sep(84)
            put(Int(tmv.tm_hour), 2); sep(58); put(Int(tmv.tm_min), 2); sep(58); put(Int(tmv.tm_sec), 2)
            for c in ".000Z".utf8 { sep(c) }
            return i
        }
    }
}
