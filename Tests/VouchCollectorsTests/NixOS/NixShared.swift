import Foundation
import VouchTestSupport

/// The shared corpora: `TestSupport.sharedDirectory`, or `VOUCH_SHARED_DIR` when a worktree sits elsewhere.
enum NixShared {
    static var directory: URL? {
        if let d = TestSupport.sharedDirectory { return d }
        guard let env = ProcessInfo.processInfo.environment["VOUCH_SHARED_DIR"] else { return nil }
        let url = URL(fileURLWithPath: env)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("corpora").path) ? url : nil
    }
}
