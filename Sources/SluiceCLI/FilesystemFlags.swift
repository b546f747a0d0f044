import ArgumentParser
import Foundation
import PipelineCore

/// `--bucket-url` and `--file-format`, the filesystem destination's settings as flags, for `sluice load` and
/// every command that names a pipeline (`run`, `show`, `state`, `schema`, `packages`). They override
/// `DESTINATION__FILESYSTEM__*` and `[destination.filesystem]` (see docs/filesystem.md).
struct FilesystemFlags: ParsableArguments {
    @Option(help: "With --destination filesystem: the folder (or file:// URL) the dataset's files go under.")
    var bucketUrl: String?

    @Option(help: "With --destination filesystem: jsonl, csv or parquet (default: [destination.filesystem] file_format, else jsonl).")
    var fileFormat: String?

    /// The flags as `[destination.filesystem]` settings (a relative bucket made absolute, so `sluice run`
    /// from elsewhere writes to the same folder).
    var settings: [String: String] {
        var settings: [String: String] = [:]
        if let bucketUrl {
            let cwd = FileManager.default.currentDirectoryPath
            // An empty value stays empty (an error naming the flag), never the current directory.
            settings["bucket_url"] = bucketUrl.trimmingCharacters(in: .whitespaces).isEmpty || bucketUrl.contains("://") || bucketUrl.hasPrefix("/") ? bucketUrl : cwd + "/" + bucketUrl
        }
        settings["file_format"] = fileFormat
        return settings
    }

    /// Refuses the flags with any destination but `filesystem`.
    func check(destination: String) throws {
        guard destination == "filesystem" || (bucketUrl == nil && fileFormat == nil) else {
            throw SluiceError(.configuration, "--bucket-url and --file-format apply to --destination filesystem only")
        }
    }
}
