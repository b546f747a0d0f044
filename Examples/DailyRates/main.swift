import Flows
import Foundation

struct Params: Codable, Sendable { var day: String }
struct Rate: Codable, Sendable { var currency: String; var value: Double }
struct Enriched: Codable, Sendable { var rate: Rate; var name: String }

/// Stand-ins for an API and a lookup table.
func downloadRates(_ day: String) async throws -> [Rate] { [Rate(currency: "EUR", value: 1.08), Rate(currency: "JPY", value: 0.0067)] }
func lookUp(_ rate: Rate) async throws -> Enriched { Enriched(rate: rate, name: rate.currency == "EUR" ? "euro" : "yen") }

let fetch = FlowTask("fetch", retry: RetryPolicy(delays: [1, 5, 25], jitter: 0.2), timeout: .seconds(30)) {
    (task: TaskContext, day: String) in
    task.logger.info("fetching \(day)")          // stored with the task run, secrets masked
    return try await downloadRates(day)
}.cached(CachePolicy(expiration: .seconds(3600)))  // key: task name + version + JSON of the input

let enrich = FlowTask("enrich") { (_: TaskContext, rate: Rate) in try await lookUp(rate) }

let daily = Flow("daily_rates") { (flow: FlowContext, p: Params) in
    let rates = try await flow.run(fetch, p.day)
    return try await flow.map(enrich, rates, maxConcurrency: 8)   // bounded, results in input order
}

try FileManager.default.createDirectory(atPath: ".sluice", withIntermediateDirectories: true)
let store = try SQLiteRunStore(path: ".sluice/runs.sqlite")
defer { store.close() }
let run = await FlowRunner(store: store).run(daily, parameters: Params(day: "2026-11-22"))
print(run.state, try run.get())
