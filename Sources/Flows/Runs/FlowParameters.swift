import Foundation

/// Builds a flow's typed parameters from `key=value` text (the CLI's `--param`), checking every key.
///
/// Each value is read as JSON when it parses (`42`, `true`, `[1,2]`, `{"a":1}`), otherwise as a
/// string. Unknown keys and values of the wrong type are errors naming the parameter.
public enum FlowParameters {
    public static func decode<P: Codable>(_ type: P.Type, from arguments: [String: String]) throws -> P {
        var object: [String: Any] = [:]
        for (key, text) in arguments {
            if let data = text.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
                object[key] = value
            } else {
                object[key] = text
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let parameters: P
        do {
            parameters = try decoder.decode(P.self, from: data)
        } catch let error as DecodingError {
            throw ParameterError(describe(error))
        }
        // JSONDecoder ignores keys a type does not have: a typo would silently fall back to a default.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let known = (try? JSONSerialization.jsonObject(with: encoder.encode(parameters))) as? [String: Any] ?? [:]
        let unknown = arguments.keys.filter { known[$0] == nil && known[snake($0)] == nil }.sorted()
        if !unknown.isEmpty {
            let expected = known.keys.sorted().joined(separator: ", ")
            throw ParameterError("unknown parameter\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) (expected: \(expected.isEmpty ? "none" : expected))")
        }
        return parameters
    }

    /// Parses `key=value` pairs.
    public static func parse(_ pairs: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ParameterError("--param \(pair): expected key=value")
            }
            out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return out
    }

    private static func describe(_ error: DecodingError) -> String {
        // Keys as the user writes them (full_refresh), not as Swift names them (fullRefresh).
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "missing parameter \(snake(key.stringValue))"
        case .typeMismatch(let type, let context): return "parameter \(path(context)): expected \(typeName(type))"
        case .valueNotFound(let type, let context): return "parameter \(path(context)): expected \(typeName(type)), got null"
        case .dataCorrupted(let context): return "parameter \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// `Bool` -> "true or false", `Int` -> "an integer": what to type, not Swift's name for it.
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }

    private static func snake(_ key: String) -> String {
        var out = ""
        for ch in key {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// Parameters that do not fit the flow.
public struct ParameterError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A flow with its types erased, for catalogs and the command line.
public struct AnyFlow: Sendable {
    public let name: String
    public let summary: String
    /// Its tasks, for `sluice flow ls` (as the flow's author lists them).
    public let tasks: [String]
    private let start: @Sendable (FlowRunner, [String: String], Date?, [String], RunRecord?) async throws -> FlowRun<String?>

    public init<P, R>(_ flow: Flow<P, R>, tasks: [String] = []) {
        name = flow.name
        summary = flow.summary
        self.tasks = tasks
        start = { runner, arguments, scheduledFor, tags, scheduledRun in
            let parameters = try FlowParameters.decode(P.self, from: arguments)
            let run = await runner.run(flow, parameters: parameters, scheduledFor: scheduledFor, tags: tags, scheduledRun: scheduledRun)
            return FlowRun(id: run.id, state: run.state, value: run.value.map { runner.encodeSummary($0) }, error: run.error)
        }
    }

    /// Decodes `arguments` into the flow's parameters (throwing ``ParameterError``) and runs it.
    /// The run's value is its result's JSON summary. `scheduledFor` and `tags` are as in
    /// ``FlowRunner/run(_:parameters:scheduledFor:tags:scheduledRun:)``.
    public func run(_ runner: FlowRunner, arguments: [String: String] = [:], scheduledFor: Date? = nil,
                    tags: [String] = [], scheduledRun: RunRecord? = nil) async throws -> FlowRun<String?> {
        try await start(runner, arguments, scheduledFor, tags, scheduledRun)
    }
}
