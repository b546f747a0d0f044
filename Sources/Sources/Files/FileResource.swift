import PipelineCore

/// The formats ``FileResource`` reads.
public enum FileFormat: String, Sendable, CaseIterable, Codable {
    case jsonl, json, csv

    /// The format a file name suggests (`.jsonl`, `.ndjson`, `.json`, `.csv`, each optionally `.gz`).
    public static func infer(path: String) -> FileFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".json") { return .json }
        if name.hasSuffix(".csv") { return .csv }
        return nil
    }
}

/// Resources that stream rows from local files.
public enum FileResource {
    /// A resource reading `paths` in order, each as `format` (or the format its name suggests).
    ///
    /// ```swift
    /// let trips = try FileResource.make(name: "trips", paths: ["trips.csv.gz"],
    ///                                    hints: ResourceHints(writeDisposition: .replace))
    /// ```
    public static func make(name: String, paths: [String], format: FileFormat? = nil,
                            hints: ResourceHints = ResourceHints(),
                            csv: CSVReader.Options = CSVReader.Options()) throws -> Resource
    {
        guard !paths.isEmpty else { throw SluiceError(.configuration, "resource \(name) has no files") }
        var formats: [FileFormat] = []
        for path in paths {
            guard let f = format ?? FileFormat.infer(path: path) else {
                throw SluiceError(.configuration,
                                  "cannot tell the format from the file name; give it (jsonl, json or csv)", file: path)
            }
            formats.append(f)
        }
        let plan = Array(zip(paths, formats))
        return Resource(name: name, hints: hints) { out in
            for (path, f) in plan {
                switch f {
                case .jsonl: try await JSONLinesReader(path: path).read(into: out)
                case .json: try await JSONDocumentReader(path: path).read(into: out)
                case .csv: try await CSVReader(path: path, options: csv).read(into: out)
                }
            }
        }
    }
}
