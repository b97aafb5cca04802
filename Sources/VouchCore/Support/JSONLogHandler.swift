import Foundation
import Logging

/// A swift-log handler writing one JSON object per line to standard error.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, extra = event.metadata
        var o: [String: JSONValue] = [
            "time": .string(Timestamp.string(Date())), "level": .string(level.rawValue),
            "label": .string(label), "message": .string(message.description),
        ]
        for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { _, b in b }) { o[k] = .string("\(v)") }
        FileHandle.standardError.write(Data((JSONValue.object(o).canonicalText + "\n").utf8))
    }
}
