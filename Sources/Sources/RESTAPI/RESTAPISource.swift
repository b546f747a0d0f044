import Foundation
import PipelineCore
import Synchronization

/// The `rest_api` source package: an API described in sluice.toml, no Swift code, as dlt's `rest_api`
/// source. A client (base URL, headers, auth, paginator) and resources, one table each; a resource whose
/// path or params name `{resources.<parent>.<field>}` is read once per record of its parent.
///
/// ```toml
/// [pipelines.github]
/// source = "rest_api"
/// client = { base_url = "https://api.github.com/repos/apple/swift/", auth = { type = "bearer" }, paginator = { type = "header_link" } }
///
/// [pipelines.github.resources.issues]
/// params = { state = "all", per_page = 100 }
/// write_disposition = "merge"
/// primary_key = ["id"]
/// incremental = { cursor = "updated_at", initial_value = "2024-01-01T00:00:00Z", param = "since" }
///
/// [pipelines.github.resources.comments]
/// path = "issues/{resources.issues.number}/comments"
/// include_from_parent = ["number"]
/// write_disposition = "merge"
/// primary_key = ["id"]
/// ```
public enum RESTAPISource {
    /// Paginator `type`s, in dlt's names.
    public static let paginatorTypes = ["single_page", "header_link", "json_link", "cursor", "offset", "page_number"]
    /// Auth `type`s, in dlt's names.
    public static let authTypes = ["bearer", "api_key", "http_basic", "oauth2_client_credentials"]

    /// Builds the source from a pipeline section's JSON settings (credentials included by the project).
    @Sendable public static func build(pipeline: String, settings: Data) throws -> Source {
        let decoded: Settings
        do { decoded = try JSONDecoder().decode(Settings.self, from: settings) } catch {
            throw SluiceError(.configuration, "pipeline \(pipeline): invalid rest_api settings (\(decodingSummary(error)))")
        }
        return try source(pipeline: pipeline, decoded)
    }

    /// The source of decoded settings: the client, then one resource per table, parents before their children.
    public static func source(pipeline: String, _ settings: Settings) throws -> Source {
        let section = "[pipelines.\(pipeline)"
        func fail(_ place: String, _ message: String) -> SluiceError { SluiceError(.configuration, "\(section)\(place)]: \(message)") }
        let client = try makeClient(pipeline: pipeline, settings.client, credentials: settings.credentials)
        var plans: [String: Plan] = [:]
        for (name, resource) in settings.resources {
            do {
                try resource.settings.check(table: name)
                plans[name] = try Plan(name: name, resource, resources: Set(settings.resources.keys))
            } catch let error as SluiceError {
                throw fail(".resources.\(name)", error.message)
            }
        }
        // Which fields of each parent its children read.
        for plan in plans.values {
            guard let parent = plan.parent else { continue }
            plans[parent]?.collected.formUnion(plan.parentFields)
        }
        let order = try ordered(plans, fail: { fail(".resources.\($0)", $1) })
        let records = ParentRecords()
        return Source(name: "rest_api", resources: order.map { plan in
            Resource(name: plan.name, hints: plan.hints) { out in try await plan.run(client: client, records: records, out: out) }
        })
    }

    /// The resources with every parent before its children (each group by name); a cycle is an error.
    static func ordered(_ plans: [String: Plan], fail: (String, String) -> SluiceError) throws -> [Plan] {
        var done: [Plan] = []
        var placed: Set<String> = []
        var remaining = plans.keys.sorted()
        while !remaining.isEmpty {
            let ready = remaining.filter { name in plans[name]?.parent.map(placed.contains) ?? true }
            guard !ready.isEmpty else { throw fail(remaining[0], "its parents form a cycle (\(remaining.joined(separator: ", ")))") }
            for name in ready { if let plan = plans[name] { done.append(plan) } }
            placed.formUnion(ready)
            remaining.removeAll { ready.contains($0) }
        }
        return done
    }

    static func makeClient(pipeline: String, _ settings: Client, credentials: Credentials?) throws -> RESTClient {
        let place = "[pipelines.\(pipeline).client]"
        guard let base = URL(string: settings.baseURL), base.scheme == "http" || base.scheme == "https", base.host != nil else {
            throw SluiceError(.configuration, "\(place) base_url: not an http(s) URL")
        }
        guard base.user == nil, base.password == nil, base.query == nil else {
            throw SluiceError(.configuration, "\(place) base_url: no credentials or query in the URL; credentials go in secrets.toml "
                + "([sources.\(pipeline).credentials]) with an auth")
        }
        var configuration = RESTClient.Configuration(baseURL: base, headers: settings.headers ?? [:])
        do {
            configuration.paginator = try settings.paginator?.paginator() ?? SinglePagePaginator()
        } catch let error as SluiceError {
            throw SluiceError(.configuration, "\(place) paginator: \(error.message)")
        }
        if let timeout = settings.timeout { configuration.timeout = .milliseconds(Int64(timeout * 1000)) }
        configuration.requestsPerSecond = settings.requestsPerSecond
        if let attempts = settings.maxAttempts { configuration.retry.maximumAttempts = max(1, attempts) }
        configuration.auth = try settings.auth.map { try auth($0, pipeline: pipeline, credentials: credentials) }
        return RESTClient(configuration)
    }
}

/// The records of parent resources that their children read: only the fields the children name, kept
/// for this run from the parent's run to its children's (resources run in order, parents first).
/// Invariant for `Sendable`: all state is behind the mutex.
final class ParentRecords: Sendable {
    private let state = Mutex<[String: [Row]]>([:])
    func set(_ resource: String, _ rows: [Row]) { state.withLock { $0[resource] = rows } }
    func get(_ resource: String) -> [Row]? { state.withLock { $0[resource] } }
}
