import Foundation
import Logging

/// A source of evidence. One collector per source kind, listed in `CollectorRegistry`.
///
/// Collectors never judge: they store raw artifacts and normalized facts through
/// the sink. A collector throws only when the whole source cannot be read; a
/// per-file problem becomes an error item (`sink.addError`) and the rest goes on.
public protocol Collector: Sendable {
    /// The source kind, e.g. `files` (the KIND in `--source KIND=TARGET`).
    var source: String { get }
    /// What TARGET means, e.g. `DIR_OR_GLOB`.
    var targetSyntax: String { get }
    /// One line for `--help` and the README.
    var summary: String { get }
    /// Collects one target into the sink (inside the capture's transaction).
    func collect(_ request: CollectRequest, into sink: CaptureSink) throws
}

/// One `--source KIND=TARGET` (or a profile entry) to collect.
public struct SourceRequest: Sendable, Hashable {
    public var source: String
    public var target: String
    /// Options from the profile's entry for this source (e.g. path filters, entry caps).
    public var options: [String: JSONValue]

    public init(source: String, target: String, options: [String: JSONValue] = [:]) {
        self.source = source
        self.target = target
        self.options = options
    }

    /// Parses `KIND=TARGET`.
    public static func parse(_ spec: String) throws -> SourceRequest {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw CollectError.badSourceSpec(spec)
        }
        return SourceRequest(source: String(spec[..<eq]), target: String(spec[spec.index(after: eq)...]))
    }
}

/// What a collector is given for one target.
public struct CollectRequest: Sendable {
    public var source: String
    public var target: String
    public var options: [String: JSONValue]
    /// The host the capture runs on (for live sources).
    public var host: String
    /// Where relative targets are resolved (the profile's folder, else the working directory).
    public var baseDirectory: URL
    public var logger: Logger
    public var redactor: Redactor
    /// Reports progress on long work (shown as one line on a terminal).
    public var progress: @Sendable (String) -> Void

    public init(source: String, target: String, options: [String: JSONValue] = [:], host: String,
                baseDirectory: URL, logger: Logger, redactor: Redactor, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.progress = progress
        self.source = source
        self.target = target
        self.options = options
        self.host = host
        self.baseDirectory = baseDirectory
        self.logger = logger
        self.redactor = redactor
    }

    /// The target as an absolute file URL, resolved against `baseDirectory`.
    public var targetURL: URL {
        if target.hasPrefix("/") { return URL(fileURLWithPath: target) }
        return baseDirectory.appendingPathComponent(target)
    }

    /// A string option, e.g. `options["branch"]`.
    public func option(_ key: String) -> String? { options[key]?.stringValue }
    public func intOption(_ key: String) -> Int64? { options[key]?.intValue }
    public func stringList(_ key: String) -> [String] {
        options[key]?.arrayValue?.compactMap(\.stringValue) ?? options[key]?.stringValue.map { [$0] } ?? []
    }
}
