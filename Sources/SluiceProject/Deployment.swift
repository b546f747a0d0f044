import Flows
import Foundation
import PipelineCore
import TOMLKit

/// A deployment: a flow of the project run on schedules, from `[deployments.<name>]` in sluice.toml.
///
/// ```toml
/// [deployments.nightly]
/// flow = "sample"                  # the pipeline whose flow runs (sluice flow ls)
/// description = "the sample data, every night"
/// schedules = [
///   { cron = "30 2 * * *", timezone = "Europe/Berlin" },
///   { interval = 21600, anchor_date = "2026-01-01T00:00:00Z", active = false },
/// ]
/// parameters = { full_refresh = false }
/// paused = false
/// concurrency = "wait"             # a run due while the last still runs waits for it; "skip" skips it
/// catchup = "latest"               # after downtime: run the newest missed slot ("all", "none")
/// late_after = 3600                # seconds after its slot a run still counts as on time
/// ```
///
/// A scheduled run is identified by the deployment and its slot (the instant it was due), and the slot
/// is claimed in the pipeline state in the destination with the run's rows (``PipelineFlows/PipelineParameters``),
/// so a restart, a second CI job or an edited schedule never runs a slot twice.
public struct Deployment: Sendable {
    /// One schedule of a deployment, with its own parameters.
    public struct ScheduleEntry: Sendable {
        public var schedule: any Schedule
        /// Inactive schedules are kept but make no runs.
        public var active: Bool
        /// Parameters of its runs, over the deployment's.
        public var parameters: [String: String]
    }

    /// How runs of one deployment share time: never two at once.
    public enum Concurrency: String, Sendable, CaseIterable {
        /// A run due while the previous one still runs starts after it (Prefect's ENQUEUE).
        case wait
        /// A run due while the previous one still runs is skipped, recorded Cancelled (Prefect's CANCEL_NEW).
        case skip
    }

    public var name: String
    /// The flow it runs: a pipeline of the project (its default flow, `sluice flow ls`).
    public var flow: String
    public var description: String?
    public var schedules: [ScheduleEntry]
    /// Parameters of every run (`sluice flow run <flow> --param k=v` as TOML values).
    public var parameters: [String: String]
    public var paused: Bool
    public var concurrency: Concurrency
    public var catchUp: CatchUp
    /// Seconds after its slot a run still counts as on time (default one hour).
    public var lateAfter: TimeInterval

    /// The tag its flow runs carry, for `sluice runs --deployment`.
    public var tag: String { "deployment:\(name)" }

    /// The active schedules.
    public var activeSchedules: [any Schedule] { schedules.filter(\.active).map(\.schedule) }

    /// The parameters of a run of `slot`: the deployment's, its schedule's, the deployment and the slot.
    public func arguments(for slot: SlotPlan.Slot?) -> [String: String] {
        var out = parameters
        if let slot {
            for (k, v) in schedules[slot.schedule].parameters { out[k] = v }
            out["deployment"] = name
            out["slot"] = Deployment.slotText(slot.at)
        }
        return out
    }

    /// A slot as claimed in the state and shown: ISO 8601 in UTC, to the second (sorts as text).
    public static func slotText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Parses a slot written by ``slotText(_:)``.
    public static func slot(from text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension ProjectSchema {
    /// One entry of a deployment's `schedules`: exactly one of `cron`, `interval` or `rrule`.
    static let deploymentSchedule = ConfigSchema.table([
        "cron": .string, "interval": .number, "anchor_date": .string, "rrule": .string, "timezone": .string,
        "active": .boolean, "parameters": .map(.open, kind: "parameter"),
    ])

    /// `[deployments.<name>]`.
    static let deployment = ConfigSchema.table([
        "flow": .string, "description": .string, "schedules": .list(deploymentSchedule),
        "parameters": .map(.open, kind: "parameter"), "paused": .boolean,
        "concurrency": .oneOf(Deployment.Concurrency.allCases.map(\.rawValue)),
        "catchup": .oneOf(CatchUp.allCases.map(\.rawValue)), "late_after": .number,
    ], required: ["flow"])
}

extension Project {
    /// The deployments of sluice.toml, by name; errors name the file, the deployment and the key (a bad
    /// cron expression names its field). With several problems the error is the first, counting the rest
    /// (``deploymentProblems()`` lists them all, as `sluice check` does).
    public func deployments() throws -> [Deployment] {
        let (deployments, problems) = checkedDeployments()
        guard let first = problems.first else { return deployments }
        guard problems.count > 1 else { throw first }
        var error = first
        error.message += " (and \(problems.count - 1) more; `sluice check` lists them all)"
        throw error
    }

    /// Every problem of every deployment, each naming the deployment and the key.
    public func deploymentProblems() -> [SluiceError] { checkedDeployments().problems }

    private func checkedDeployments() -> (deployments: [Deployment], problems: [SluiceError]) {
        guard let table = config.table?["deployments"]?.table else { return ([], []) }
        var problems: [SluiceError] = []
        let deployments = table.keys.sorted().compactMap { deployment(named: $0, table[$0]?.table ?? TOMLTable(), problems: &problems) }
        // A deployment-level mistake is found once per schedule that passes it: say it once.
        var seen = Set<String>()
        return (deployments, problems.filter { seen.insert($0.message).inserted })
    }

    /// The deployment `name`; an unknown name is an error listing the deployments there are.
    public func deployment(_ name: String) throws -> Deployment {
        let all = try deployments()
        guard let found = all.first(where: { $0.name == name }) else {
            let known = all.map(\.name).joined(separator: ", ")
            throw SluiceError(.configuration, "no deployment '\(name)' in [deployments] (declared: \(known.isEmpty ? "none" : known))",
                              file: config.path)
        }
        return found
    }

    /// Deployment `name`, or nil with its problems added to `problems` (all of them, not only the first).
    private func deployment(named name: String, _ t: TOMLTable, problems: inout [SluiceError]) -> Deployment? {
        let before = problems.count
        func fail(_ key: String, _ message: String) {
            problems.append(SluiceError(.configuration, "[deployments.\(name)] \(key): \(message)", file: config.path))
        }
        // The schema checked types and keys when the file was read; what is left is meaning.
        let flow = t["flow"]?.string ?? ""
        if !pipelineNames.contains(flow) {
            fail("flow", "no flow '\(flow)' (flows: \(pipelineNames.isEmpty ? "none" : pipelineNames.joined(separator: ", ")))")
        }
        var schedules: [Deployment.ScheduleEntry] = []
        for (k, item) in (t["schedules"]?.array ?? TOMLArray()).enumerated() {
            let s = item.table ?? TOMLTable()
            let key = "schedules[\(k)]"
            let zone = s["timezone"]?.string ?? "UTC"
            let kinds = ["cron", "interval", "rrule"].filter { s[$0] != nil }
            guard kinds.count == 1 else { fail(key, "give exactly one of cron, interval or rrule"); continue }
            if s["anchor_date"] != nil, kinds != ["interval"] { fail(key + ".anchor_date", "only an interval schedule has an anchor"); continue }
            let schedule: any Schedule
            do {
                let timeZone = try ScheduleTime.zone(zone)
                if let cron = s["cron"]?.string {
                    schedule = try CronSchedule(cron, timeZone: timeZone)
                } else if let rrule = s["rrule"]?.string {
                    schedule = try RRuleSchedule(rrule, timeZone: s["timezone"] == nil ? nil : timeZone)
                } else {
                    guard let seconds = s["interval"]?.int ?? s["interval"]?.double.flatMap({ $0 == $0.rounded() ? Int($0) : nil }), seconds >= 1 else {
                        fail(key + ".interval", "expected a whole number of seconds, 1 or more")
                        continue
                    }
                    let anchor = try s["anchor_date"]?.string.map { try ScheduleTime.parse($0, in: timeZone, field: "anchor_date") }
                    schedule = try IntervalSchedule(seconds: seconds, anchor: anchor ?? Date(timeIntervalSince1970: 0), timeZone: timeZone)
                }
            } catch let error as ScheduleError {
                fail(key, error.description)
                continue
            } catch {
                fail(key, "\(error)")
                continue
            }
            schedules.append(.init(schedule: schedule, active: s["active"]?.bool ?? true, parameters: parameters(s["parameters"]?.table)))
        }
        let lateAfter = t["late_after"].flatMap { $0.double ?? $0.int.map(Double.init) } ?? 3600
        if lateAfter < 0 { fail("late_after", "expected a number of seconds, 0 or more") }
        let deployment = Deployment(
            name: name, flow: flow, description: t["description"]?.string, schedules: schedules,
            parameters: parameters(t["parameters"]?.table), paused: t["paused"]?.bool ?? false,
            concurrency: t["concurrency"]?.string.flatMap(Deployment.Concurrency.init(rawValue:)) ?? .wait,
            catchUp: t["catchup"]?.string.flatMap(CatchUp.init(rawValue:)) ?? .latest, lateAfter: lateAfter)
        // The flow's parameters, as each schedule's runs will pass them: a typo or a wrong type fails here,
        // not at 02:30 in the night.
        let reserved = ["deployment", "slot"]
        for (k, entry) in schedules.enumerated() {
            let key = entry.parameters.isEmpty ? "parameters" : "schedules[\(k)].parameters"
            if let name = (Array(deployment.parameters.keys) + Array(entry.parameters.keys)).first(where: reserved.contains) {
                fail(key, "\(name) is set by the scheduler for each run")
                continue
            }
            do { _ = try FlowParameters.decode(PipelineFlows.PipelineParameters.self, from: deployment.arguments(for: .init(at: Date(), schedule: k))) }
            catch { fail(key, "\(error)") }
        }
        if schedules.isEmpty {
            do { _ = try FlowParameters.decode(PipelineFlows.PipelineParameters.self, from: deployment.parameters) }
            catch { fail("parameters", "\(error)") }
        }
        return problems.count == before ? deployment : nil
    }

    /// TOML parameter values as the text `--param k=v` takes (JSON for numbers, booleans, lists and tables).
    private func parameters(_ table: TOMLTable?) -> [String: String] {
        guard let table else { return [:] }
        var out: [String: String] = [:]
        for key in table.keys {
            guard let value = table[key] else { continue }
            if let s = value.string { out[key] = s } else {
                let wrapped = TOMLTable()
                wrapped["v"] = value
                let json = wrapped.convert(to: .json)
                guard let data = json.data(using: .utf8), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                      let inner = object["v"], let encoded = try? JSONSerialization.data(withJSONObject: inner, options: [.fragmentsAllowed]),
                      let text = String(data: encoded, encoding: .utf8)
                else { continue }
                out[key] = text
            }
        }
        return out
    }
}
