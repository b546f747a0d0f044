import Foundation
import PipelineCore

extension RESTAPISource {
    /// One resource as it runs: its endpoint, hints, and, for a dependent resource, its parent and the
    /// parent fields it reads.
    struct Plan: Sendable {
        let name: String
        let hints: ResourceHints
        let path: String
        let params: [String: String]
        let paginator: (any Paginator)?
        let selector: RecordSelector
        let startParam: String?
        let endParam: String?
        /// The resource whose records this one is read for, once each.
        let parent: String?
        /// The parent fields named in the path and params, and by `include_from_parent`.
        let parentFields: Set<String>
        let include: [String]
        /// Fields of this resource's records that its children read (filled in by the source).
        var collected: Set<String> = []

        init(name: String, _ settings: ResourceSettings, resources: Set<String>) throws {
            self.name = name
            hints = settings.settings.hints(table: name)
            path = settings.path ?? name
            params = settings.params ?? [:]
            paginator = try settings.paginator.map { p in
                do { return try p.paginator() } catch let error as SluiceError { throw SluiceError(.configuration, "paginator: \(error.message)") }
            }
            selector = settings.dataSelector.map { RecordSelector(JSONPath($0)) } ?? .body
            startParam = settings.startParam
            endParam = settings.endParam
            include = settings.includeFromParent ?? []
            if (startParam != nil || endParam != nil) && settings.settings.incremental == nil {
                throw SluiceError(.configuration, "incremental param without a cursor")
            }
            // {resources.<parent>.<field>} in the path and the params.
            var parents: Set<String> = []
            var fields: Set<String> = []
            for text in [path] + params.values.sorted() {
                for placeholder in Self.placeholders(in: text) {
                    let parts = placeholder.split(separator: ".", maxSplits: 2).map(String.init)
                    guard parts.count == 3, parts[0] == "resources", !parts[2].isEmpty else {
                        throw SluiceError(.configuration, "\"{\(placeholder)}\" is not a parent field; write {resources.<parent>.<field>}")
                    }
                    guard resources.contains(parts[1]), parts[1] != name else {
                        throw SluiceError(.configuration, "\"{\(placeholder)}\" names no other resource of this pipeline "
                            + "(resources: \(resources.sorted().joined(separator: ", ")))")
                    }
                    parents.insert(parts[1])
                    fields.insert(parts[2])
                }
            }
            guard parents.count <= 1 else {
                throw SluiceError(.configuration, "its path and params name several parents (\(parents.sorted().joined(separator: ", "))); a resource has one")
            }
            parent = parents.first
            if parent == nil, !include.isEmpty {
                throw SluiceError(.configuration, "include_from_parent needs a parent: name {resources.<parent>.<field>} in the path or params")
            }
            parentFields = fields.union(include)
        }

        /// The `{...}` placeholders of `text`, without their braces.
        static func placeholders(in text: String) -> [String] {
            var found: [String] = []
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                found.append(String(rest[rest.index(after: open)..<close]))
                rest = rest[rest.index(after: close)...]
            }
            return found
        }

        /// `text` with each `{resources.<parent>.<field>}` replaced by the field of `parentRow` (percent-encoded in a path).
        func resolve(_ text: String, _ parentRow: Row, inPath: Bool, record: Int) throws -> String {
            var out = text
            for placeholder in Self.placeholders(in: text) {
                let field = String(placeholder.split(separator: ".", maxSplits: 2)[2])
                guard let value = JSONPath("").text(in: parentRow[field] ?? .null) else {
                    throw SluiceError(.badInput, "resource \(name): record \(record) of \(parent ?? "") has no \(field) for {\(placeholder)}",
                                      table: name)
                }
                var allowed = CharacterSet.urlPathAllowed
                allowed.remove(charactersIn: "/?#")
                out = out.replacingOccurrences(of: "{\(placeholder)}",
                                               with: inPath ? value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value : value)
            }
            return out
        }

        /// Reads the endpoint (once per parent record for a dependent resource) into `out`, and keeps the
        /// fields its children read from the records the run kept (``RowWriter/admit(_:)``).
        func run(client: RESTClient, records: ParentRecords, out: any RowWriter) async throws {
            var picked: [Row] = []
            let keep = collected.sorted()
            // The resource's own paginator, else the client's (dlt's rule), whose errors then say so.
            let paginator = self.paginator ?? InheritedPaginator(base: client.configuration.paginator, resource: name)
            let endpoint = RESTEndpoint(path: path, params: params, paginator: paginator, selector: selector, startParam: startParam,
                                        endParam: endParam)
            func walk(_ path: String, _ params: [String: String], extra: [Row.Field]) async throws {
                for try await page in client.pages(path, params: params, paginator: paginator, selector: selector) {
                    for record in page.records {
                        var row = JSONLinesReader.row(from: record)
                        row.fields += extra
                        // Children follow only the records the run keeps: a record the incremental cursor
                        // drops (not changed since the last run) is not read again, nor are its children.
                        if try await out.admit(row), !keep.isEmpty {
                            picked.append(Row(keep.map { Row.Field($0, JSONPath($0).value(in: record) ?? .null) }))
                        }
                    }
                }
            }
            let windowed = endpoint.params(window: out.window)
            if let parent {
                guard let parents = records.get(parent) else {
                    throw SluiceError(.configuration, "resource \(name) runs before its parent \(parent)", table: name)
                }
                for (k, parentRow) in parents.enumerated() {
                    let resolved = try windowed.mapValues { try resolve($0, parentRow, inPath: false, record: k + 1) }
                    let extra = include.map { Row.Field("_\(parent)_" + $0.replacingOccurrences(of: ".", with: "__"), parentRow[$0] ?? .null) }
                    try await walk(try resolve(path, parentRow, inPath: true, record: k + 1), resolved, extra: extra)
                }
            } else {
                try await walk(path, windowed, extra: [])
            }
            if !keep.isEmpty { records.set(name, picked) }
        }
    }
}

/// The client's paginator as a resource without one of its own uses it (dlt's rule: the client's paginator
/// is every resource's default, a resource's own overrides it). Its errors add where it came from and the
/// fix, since a dependent resource's endpoint is often not paged like its parent's.
struct InheritedPaginator: Paginator {
    let base: any Paginator
    let resource: String

    func prepare(_ request: inout RESTRequest) { base.prepare(&request) }

    func next(after page: RESTPage) throws -> RESTRequest? {
        do {
            return try base.next(after: page)
        } catch var error as SluiceError {
            error.message += "; resource \(resource) has no paginator of its own, so it uses the client's: if its endpoint is not "
                + "paged that way, give it one ([pipelines.<p>.resources.\(resource)] paginator = { type = \"single_page\" } for one page)"
            throw error
        }
    }
}
