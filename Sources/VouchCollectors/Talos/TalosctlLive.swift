import Foundation
import VouchCore

/// Reads live nodes with `talosctl` (only when it is on PATH and the profile names `nodes:`):
/// `talosctl version -n NODE` for the running Talos version, and
/// `talosctl get machineconfig -o json -n NODE` for the config the node runs. The command line is the origin.
///
/// Profile options: `nodes: [10.0.0.2, …]`, `talosconfig: PATH`, `context: NAME`, `timeout: SECONDS` (default 60),
/// `talosctl: PATH` (default: found on PATH).
struct TalosctlLive {
    let request: CollectRequest
    let recorder: TalosRecorder

    func collect(nodes: [String]) throws {
        let sink = recorder.sink
        guard let talosctl = Self.find(request.option("talosctl") ?? "talosctl") else {
            for node in nodes {
                try sink.addError(subject: node, origin: "talosctl",
                                  message: "node \(node) is named under `nodes:` but talosctl is not on PATH; install talosctl "
                                      + "(or set `talosctl:` to its path), or remove `nodes:` to collect declared configs only")
            }
            return
        }
        var base: [String] = []
        if let c = request.option("talosconfig") { base += ["--talosconfig", request.baseDirectory.appendingPathComponent(c).path] }
        if let c = request.option("context") { base += ["--context", c] }
        let timeout = Double(request.intOption("timeout") ?? 60)
        for node in nodes {
            let versionArgs = base + ["version", "--nodes", node]
            let version = Self.run(talosctl, versionArgs, timeout: timeout)
            let versionOrigin = Self.commandLine(versionArgs)
            var serverTag: String?
            if version.status == 0 {
                let text = String(decoding: version.stdout, as: UTF8.self)
                let parsed = Self.parseVersion(text)
                serverTag = parsed.server
                let blob = try sink.storeBlob(Data(request.redactor.scrub(text).utf8))
                try sink.add(EvidenceItem(kind: "talos.version", subject: node, origin: versionOrigin,
                                          data: ["node": .string(node), "client_tag": parsed.client.map(JSONValue.string) ?? .null,
                                                 "server_tag": parsed.server.map(JSONValue.string) ?? .null],
                                          blobSHA256: blob))
            } else {
                try sink.addError(subject: node, origin: versionOrigin, message: Self.failure(versionOrigin, version))
            }
            let getArgs = base + ["get", "machineconfig", "-o", "json", "--nodes", node]
            let origin = Self.commandLine(getArgs)
            let out = Self.run(talosctl, getArgs, timeout: timeout)
            guard out.status == 0 else {
                try sink.addError(subject: node, origin: origin, message: Self.failure(origin, out))
                continue
            }
            let text = String(decoding: out.stdout, as: UTF8.self)
            do {
                let objects = try TalosctlOutput.splitJSONStream(text, display: origin)
                let before = recorder.recordedConfigs
                try TalosctlOutput(recorder: recorder).recordJSON(objects, display: "live:\(node)", origin: origin, sourceType: "live",
                                                                  talosVersion: serverTag)
                if recorder.recordedConfigs == before {
                    try sink.addError(subject: node, origin: origin,
                                      message: "\(origin) returned no MachineConfig resource; check that node \(node) is a Talos node "
                                          + "and that your talosconfig grants os:reader")
                }
            } catch let e as TalosInputError {
                try sink.addError(subject: node, origin: origin, message: e.errorDescription ?? "\(e)")
            }
        }
    }

    static func commandLine(_ args: [String]) -> String { (["talosctl"] + args).joined(separator: " ") }

    static func failure(_ origin: String, _ r: RunOutput) -> String {
        let err = String(decoding: r.stderr.prefix(600), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let why = r.timedOut ? "timed out" : "exited with status \(r.status)"
        return "`\(origin)` \(why)\(err.isEmpty ? "" : ": \(err)"); check the node address, your talosconfig and network access"
    }

    /// The client and server `Tag:` lines of `talosctl version`.
    static func parseVersion(_ text: String) -> (client: String?, server: String?) {
        var section = ""
        var client: String?, server: String?
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t == "Client:" || t == "Server:" { section = t; continue }
            guard t.hasPrefix("Tag:") else { continue }
            let tag = t.dropFirst(4).trimmingCharacters(in: .whitespaces)
            if section == "Client:" { client = tag } else if section == "Server:", server == nil { server = tag }
        }
        return (client, server)
    }

    /// An executable by path, or found on PATH.
    static func find(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    struct RunOutput {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var timedOut: Bool
    }

    /// Runs a program with a deadline; past it the program (only that process) is terminated.
    static func run(_ executable: String, _ args: [String], timeout: Double, limit: Int = 64 << 20) -> RunOutput {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            return RunOutput(status: 127, stdout: Data(), stderr: Data("cannot start \(executable): \(error.localizedDescription)".utf8),
                             timedOut: false)
        }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = readAll(out.fileHandleForReading, limit: limit); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = readAll(err.fileHandleForReading, limit: 1 << 20); group.leave() }
        var timedOut = false
        if group.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            p.terminate()
            if group.wait(timeout: .now() + 5) == .timedOut { kill(p.processIdentifier, SIGKILL); group.wait() }
        }
        p.waitUntilExit()
        return RunOutput(status: timedOut ? -1 : p.terminationStatus, stdout: outData, stderr: errData, timedOut: timedOut)
    }

    private static func readAll(_ h: FileHandle, limit: Int) -> Data {
        var d = Data()
        while true {
            let chunk = h.availableData
            if chunk.isEmpty { break }
            if d.count < limit { d.append(chunk.prefix(limit - d.count)) }
        }
        return d
    }
}
