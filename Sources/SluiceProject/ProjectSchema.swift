import PipelineCore
import Sources
import TOMLKit

/// The schemas of `sluice.toml` and `secrets.toml`: every key Sluice reads, and nothing else.
///
/// A typo (`write_dispositon`), a key Sluice does not support or a value of the wrong type is an error
/// naming the file, the table path and the key, with a "did you mean" when one is close.
public enum ProjectSchema {
    /// `{ cursor = "updated_at", initial_value = "2024-01-01", end_value = ..., lag = 3600, range_start = "open" }`.
    static let incremental = ConfigSchema.table(
        ["cursor": .string, "initial_value": .scalar, "end_value": .scalar, "lag": .number, "range_start": .oneOf(["closed", "open"])],
        required: ["cursor"])

    static let strings = ConfigSchema.list(.string)

    /// `[pipelines.<p>.tables.<table>]` of the `files` source.
    static let filesTable = ConfigSchema.table(tableSettings.merging([
        "path": .string, "paths": strings,
        "format": .oneOf(FileFormat.allCases.map(\.rawValue)),
        "delimiter": .string,
    ]) { a, _ in a })

    /// The keys of `TableSettings`, which every source's tables share.
    static let tableSettings: [String: ConfigSchema] = [
        "write_disposition": .oneOf(WriteDisposition.allCases.map(\.rawValue)),
        "primary_key": strings, "merge_key": strings,
        "columns": .map(.oneOf(DataType.allCases.map(\.rawValue)), kind: "column"),
        "incremental": incremental,
        "merge_strategy": .oneOf(MergeStrategy.allCases.map(\.rawValue)),
        "hard_delete": .string, "exclude": strings, "hash": strings,
        "contract": .table(["tables": contractMode, "columns": contractMode, "data_type": contractMode]),
    ]

    static let contractMode = ConfigSchema.oneOf(SchemaContract.Mode.allCases.map(\.rawValue))

    /// The keys of a `sql_database` (and `products`) pipeline; its credentials belong in secrets.toml.
    static let sqlDatabase = ConfigSchema.table([
        "sqlite": .string, "schema": .string, "tables": strings,
        "incremental": .map(incremental, kind: "table"), "chunk_size": .integer,
        "hints": .map(.table(tableSettings), kind: "table"),
    ])

    /// `[pipelines.<name>]`: the keys every pipeline has, plus its source's.

    /// ``pipeline`` with sources registered beyond the bundled ones: their sections' own keys are theirs
    /// to check (they decode them), the common keys are checked here.
    static func pipeline(registered: [String]) -> ConfigSchema {
        guard case .tagged(let tag, let common, var variants) = bundledPipeline else { return bundledPipeline }
        for name in registered where variants[name] == nil { variants[name] = .open }
        return .tagged(tag: tag, common: common, variants: variants)
    }

    static let bundledPipeline = ConfigSchema.tagged(
        tag: "source",
        common: ["source": .string, "destination": .oneOf(["sqlite", "postgres", "filesystem"]), "dataset": .string,
                 // [pipelines.<name>.flow] is checked, with its own messages, where flows are built.
                 "flow": .open],
        variants: [
            "files": .table(["tables": .map(filesTable, kind: "table", safeNames: true)], required: ["tables"]),
            "sql_database": sqlDatabase,
            "products": sqlDatabase,
            "rest_api": restAPI,
        ].merging(sourcePackages) { bundled, _ in bundled })

    /// `sluice.toml` of a project with the bundled sources (a package `sluice new source` added and whose
    /// keys are not listed here is checked by its own ``SourceSettings`` decoding).
    public static let sluiceToml = sluiceToml(registered: SourceCatalog.bundled.names)

    /// `sluice.toml` of a project with these sources registered (see `Project.Configuration.sources`).
    public static func sluiceToml(registered sources: [String]) -> ConfigSchema {
        .table([
            "pipelines": .map(pipeline(registered: sources), kind: "pipeline", safeNames: true),
            "destination": .table(["sqlite": .table(["path": .string]), "postgres": .table([:]), "filesystem": filesystem]),
            "notifications": .table(["webhook": .table(["url": .string, "states": strings])]),
            "runs": .table(["retention_days": .integer]),
            "deployments": .map(deployment, kind: "deployment", safeNames: true),
        ])
    }


    /// `[destination.filesystem]` in sluice.toml (see `docs/filesystem.md`).
    static let filesystem = ConfigSchema.table([
        "bucket_url": .string, "layout": .string, "file_format": .oneOf(["jsonl", "csv", "parquet"]),
        "compression": .oneOf(["none", "gzip", "snappy", "zstd"]), "row_group_size": .integer,
        "file_max_items": .integer, "file_max_bytes": .integer,
    ])

    /// `[destination.postgres.credentials]`: a connection string, or its parts.
    static let postgresCredentials = ConfigSchema.either(.string, .table([
        "host": .string, "port": .integer, "database": .string, "username": .string, "password": .scalar,
        "sslmode": .oneOf(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]), "connect_timeout": .integer,
    ]))

    /// `secrets.toml`. A source's own section (`[sources.<pipeline>]`) holds whatever that source reads.
    public static let secretsToml = ConfigSchema.table([
        "destination": .table(["postgres": .table(["credentials": postgresCredentials]), "filesystem": .table(["bucket_url": .string])]),
        "sources": .map(.open, kind: "source"),
        "privacy": .table(["salt": .scalar]),
        "notifications": .table(["webhook": .table(["url": .string])]),
    ])

    /// Parses `text` as the TOML file `file` and validates it against `schema`.
    ///
    /// - Parameter quoteErrors: whether a syntax error may quote the parser's message (which can show a
    ///   line of the file); false for secrets.toml.
    public static func parse(_ text: String, file: String, schema: ConfigSchema, quoteErrors: Bool = true) throws -> TOMLTable {
        let (table, issues) = try check(text, file: file, schema: schema, quoteErrors: quoteErrors)
        if let error = ConfigIssue.error(issues) { throw error }
        return table
    }

    /// Parses `text` and returns every issue against `schema`; throws only when it is not TOML at all.
    public static func check(_ text: String, file: String, schema: ConfigSchema, quoteErrors: Bool = true) throws -> (TOMLTable, [ConfigIssue]) {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw SluiceError(.configuration, quoteErrors ? "invalid TOML: \(error.description)" : "invalid TOML",
                              file: file, line: Int(error.source.begin.line))
        }
        return (table, schema.validate(table, file: file))
    }
}
