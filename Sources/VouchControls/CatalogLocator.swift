import Foundation

/// Finds the controls catalog: `--controls DIR`, else `$VOUCH_CONTROLS`, else `controls/` next to
/// the profile, else `controls/` in the working directory, else a `controls/` folder found by
/// searching upward from the executable (an installed or built binary beside its package).
public enum CatalogLocator {
    public struct Found: Sendable {
        public var directory: URL
        /// Which rule found it, for the user (e.g. "$VOUCH_CONTROLS").
        public var origin: String
    }

    public static let marker = "framework.yaml"

    public static func locate(explicit: String?, profileDirectory: URL?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                              executable: URL? = Bundle.main.executableURL) throws -> Found {
        var tried: [String] = []
        func candidate(_ url: URL, _ origin: String, required: Bool = false) throws -> Found? {
            let ok = FileManager.default.fileExists(atPath: url.appendingPathComponent(marker).path)
            tried.append("\(origin) \(url.path)")
            if ok { return Found(directory: url.standardizedFileURL, origin: origin) }
            if required {
                throw CatalogError.invalid(location: url.path, reason: "\(origin) names a folder without \(marker); point it at the catalog folder (controls/)")
            }
            return nil
        }
        if let explicit, !explicit.isEmpty {
            return try candidate(URL(fileURLWithPath: explicit, relativeTo: workingDirectory), "--controls", required: true)!
        }
        if let env = environment["VOUCH_CONTROLS"], !env.isEmpty {
            return try candidate(URL(fileURLWithPath: env, relativeTo: workingDirectory), "$VOUCH_CONTROLS", required: true)!
        }
        if let profileDirectory, let f = try candidate(profileDirectory.appendingPathComponent("controls"), "next to the profile") { return f }
        if let f = try candidate(workingDirectory.appendingPathComponent("controls"), "working directory") { return f }
        if let exe = executable?.resolvingSymlinksInPath() {
            var dir = exe.deletingLastPathComponent()
            for _ in 0..<8 {
                if let f = try candidate(dir.appendingPathComponent("controls"), "beside the executable") { return f }
                if let f = try candidate(dir.appendingPathComponent("share/vouch/controls"), "installed with the executable") { return f }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw CatalogError.noControlsDirectory(tried: tried)
    }
}
