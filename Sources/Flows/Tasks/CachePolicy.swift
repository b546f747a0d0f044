import Foundation

/// How a task reuses earlier results: by a key computed from its inputs (or by a function of
/// yours), for a while, across runs and processes (results live in the run store).
///
/// A cache hit ends the task run ``RunState/cached`` without running it.
public struct CachePolicy<Input>: Sendable {
    /// How long a result stays valid; `nil` keeps it until a refresh replaces it.
    public var expiration: Duration?
    /// Run anyway and replace the cached result (Prefect's `refresh_cache`).
    public var refresh: Bool
    /// Part of the key: change it when the task's code changes what it returns.
    public var version: String
    /// A custom key; `nil` (the default) hashes the task's name, version and JSON-encoded input.
    public var key: (@Sendable (Input) throws -> String)?

    public init(expiration: Duration? = nil, refresh: Bool = false, version: String = "",
                key: (@Sendable (Input) throws -> String)? = nil) {
        self.expiration = expiration
        self.refresh = refresh
        self.version = version
        self.key = key
    }
}

/// A cache policy bound to a task's types: how to key, store and restore its results.
struct TaskCache<Input, Output>: Sendable {
    let expiration: Duration?
    let refresh: Bool
    let key: @Sendable (Input) throws -> String
    let encode: @Sendable (Output) throws -> Data
    let decode: @Sendable (Data) throws -> Output
}

extension FlowTask where Input: Encodable, Output: Codable {
    /// This task with its results cached by `policy`.
    ///
    /// ```swift
    /// let rates = FlowTask("exchange_rates") { _, day: String in try await fetchRates(day) }
    ///     .cached(CachePolicy(expiration: .seconds(3600)))
    /// ```
    public func cached(_ policy: CachePolicy<Input> = CachePolicy()) -> FlowTask {
        caching(policy) { input in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return CacheKey.digest(try encoder.encode(input))
        }
    }
}

extension FlowTask where Input == Void, Output: Codable {
    /// This task, which takes no input, with its results cached by `policy`: give the policy a `key`
    /// computed from what the task depends on (the files it reads, the program it runs); without one
    /// the task's name and the policy's version are the whole key.
    public func cached(_ policy: CachePolicy<Void>) -> FlowTask {
        caching(policy) { _ in "" }
    }
}

extension FlowTask where Output: Codable {
    /// Installs `policy`, keying by `defaultKey` when the policy has no key of its own.
    fileprivate func caching(_ policy: CachePolicy<Input>, defaultKey: @escaping @Sendable (Input) throws -> String) -> FlowTask {
        var copy = self
        let name = self.name
        let key = policy.key ?? defaultKey
        let version = policy.version
        copy.cache = TaskCache(
            expiration: policy.expiration, refresh: policy.refresh,
            key: { input in "\(name):\(version):\(try key(input))" },
            encode: { try JSONEncoder().encode($0) },
            decode: { try JSONDecoder().decode(Output.self, from: $0) })
        return copy
    }
}

/// Digests for cache keys.
public enum CacheKey {
    /// 128 bits of FNV-1a (two 64-bit lanes with different offsets), as 32 hex digits: a fingerprint of
    /// `data` for a cache key (not a cryptographic hash).
    public static func digest(_ data: Data) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in data {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = b &+ (b >> 29)
        }
        return hex(a) + hex(b)
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
