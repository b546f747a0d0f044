import SluiceProject
import Flows
import Foundation
import Logging

/// The console's log handler (`-v`): standard error, every known secret masked.
struct ConsoleLogHandler: LogHandler {
    var inner: StreamLogHandler
    let redactor: Redactor

    init(label: String, redactor: Redactor) {
        inner = StreamLogHandler.standardError(label: label)
        self.redactor = redactor
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var masked = event
        masked.message = "\(redactor.redact(event.message.description))"
        inner.log(event: masked)
    }
}

extension Redactor {
    /// A redactor of every value in secrets.toml and the environment's overrides of it (none if
    /// secrets.toml cannot be read: its error is reported by the command itself).
    static func forProject() -> Redactor {
        Redactor(secrets: (try? Secrets.load().allValues()) ?? [])
    }
}
