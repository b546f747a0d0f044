import Foundation
import Logging

/// A swift-log handler that stores a run's log lines in the run store, secrets redacted, and
/// optionally echoes them to another handler (the console).
///
/// The runner gives every flow and task run a `Logger` backed by one of these; code that logs
/// through `context.logger` needs nothing else.
public struct RunLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let flowRunID: String
    let runID: String
    let store: any RunStore
    let redactor: Redactor
    let now: @Sendable () -> Date
    var echo: (any LogHandler)?

    public init(flowRunID: String, runID: String, store: any RunStore, redactor: Redactor, level: Logger.Level = .info,
                now: @escaping @Sendable () -> Date = { Date() }, echo: (any LogHandler)? = nil) {
        self.flowRunID = flowRunID
        self.runID = runID
        self.store = store
        self.redactor = redactor
        self.logLevel = level
        self.now = now
        self.echo = echo
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = event.message.description
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        if let error = event.error { text += " error=\(error)" }
        let line = redactor.redact(text)
        store.enqueue(.log(LogRecord(flowRunID: flowRunID, runID: runID, at: now(), level: event.level.rawValue, message: line)))
        echo?.log(event: LogEvent(level: event.level, message: "\(line)", metadata: nil, source: event.source,
                                  file: event.file, function: event.function, line: event.line))
    }
}
