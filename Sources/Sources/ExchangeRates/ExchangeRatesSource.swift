import Foundation
import PipelineCore

/// The `exchange_rates` source package: the ECB's daily reference rates from the Frankfurter API's time
/// series `GET /v1/{start}..{end}?base=EUR&symbols=USD,GBP`
/// (`{"base": "EUR", "rates": {"2024-01-02": {"USD": 1.0956, ...}, ...}}`), one row per day and currency
/// (`date`, `base`, `currency`, `rate`) appended to the table `exchange_rates`.
///
/// Incremental on `date`: the first run reads from `start_date`, later runs from the last day loaded
/// (that day again, deduplicated by the engine), so a daily run fetches only the new days. Ranges are
/// asked for 90 days at a time: Frankfurter samples longer ranges by week or month.
///
/// ```toml
/// [pipelines.exchange_rates]
/// source = "exchange_rates"
/// base = "EUR"                     # the default
/// symbols = ["USD", "GBP", "CHF"]  # default: every currency
/// start_date = "2024-01-01"        # the first day of the first run
/// ```
public enum ExchangeRatesSource: SourcePackage {
    public static let name = "exchange_rates"
    /// The longest range asked for at once: Frankfurter returns every day of up to 90 days.
    public static let daysPerRequest = 90

    /// `[pipelines.<p>]` keys of the `exchange_rates` source.
    public struct Settings: SourceSettings {
        /// Default: ``CurrenciesSource/defaultBaseURL``.
        public var baseURL: String?
        /// The currency rates are quoted against (default `EUR`).
        public var base: String?
        /// The currencies to load (default: all).
        public var symbols: [String]?
        /// The first day loaded, `YYYY-MM-DD` (the incremental cursor's initial value).
        public var startDate: String
        /// The last day loaded (a backfill); default: today (UTC).
        public var endDate: String?

        public static let keys: Set<String> = ["base_url", "base", "symbols", "start_date", "end_date"]
        enum CodingKeys: String, CodingKey {
            case base, symbols
            case baseURL = "base_url"
            case startDate = "start_date"
            case endDate = "end_date"
        }
    }

    public static func build(pipeline: String, settings: Data) throws -> Source {
        try source(pipeline: pipeline, try Settings.decode(settings, source: name, pipeline: pipeline))
    }

    /// The source of decoded settings; `today` ends a range with no `end_date` (UTC days since 1970).
    public static func source(pipeline: String, _ settings: Settings,
                              today: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970 / 86_400) }) throws -> Source
    {
        func day(_ text: String, _ key: String) throws -> Int {
            guard case .date(let d)? = Timestamps.parse(text) else {
                throw SluiceError(.configuration, "[pipelines.\(pipeline)] \(key): expected a date such as \"2024-01-01\", got \"\(text.prefix(30))\"")
            }
            return Int(d)
        }
        let first = try day(settings.startDate, "start_date")
        let last = try settings.endDate.map { try day($0, "end_date") }
        let base = settings.base ?? "EUR"
        var params = ["base": base]
        if let symbols = settings.symbols, !symbols.isEmpty { params["symbols"] = symbols.joined(separator: ",") }
        let client = RESTClient(try PackageClient.configuration(settings.baseURL ?? CurrenciesSource.defaultBaseURL, pipeline: pipeline))
        var hints = ResourceHints(writeDisposition: .append, primaryKey: ["date", "currency"])
        hints.incremental = Incremental(cursor: "date", initialValue: .date(Int32(first)), endValue: last.map { .date(Int32($0)) })
        hints.columns["rate", default: ColumnHint()].dataType = .double
        let rates = Resource(name: "exchange_rates", hints: hints) { [params] out in
            var from = first
            if case .date(let stored)? = out.window?.start { from = max(first, Int(stored)) }
            let end = last ?? today()
            while from <= end {
                let to = from + daysPerRequest - 1
                // The last range is open (`2024-01-01..`): whatever was published up to now.
                let range = Timestamps.formatDate(Int32(from)) + ".." + (to < end ? Timestamps.formatDate(Int32(to)) : (last == nil ? "" : Timestamps.formatDate(Int32(end))))
                let body = try await client.get(range, params: params)
                for row in try rows(body, base: base, url: client.configuration.baseURL.absoluteString + range) { try await out.write(row) }
                from = to + 1
            }
        }
        return Source(name: name, resources: [rates])
    }

    /// The rows of one time-series response: one per day and currency, days and currencies in order.
    static func rows(_ body: Value, base: String, url: String) throws -> [Row] {
        guard case .object(let days)? = JSONPath("rates").value(in: body) else {
            if case .object(let top) = body, top["rates"] == nil, top["message"] != nil {
                throw SluiceError(.badInput, "GET \(url): \(JSONPath("message").text(in: body) ?? "an error")")
            }
            throw SluiceError(.badInput, "GET \(url): the response has no rates object")
        }
        let quoted = JSONPath("base").text(in: body) ?? base
        var out: [Row] = []
        for day in days.fields.sorted(by: { $0.name < $1.name }) {
            guard case .object(let perCurrency) = day.value else { continue }
            guard case .date(let d)? = Timestamps.parse(day.name) else {
                throw SluiceError(.badInput, "GET \(url): \"\(day.name.prefix(30))\" in rates is not a date")
            }
            let date = Value.date(d)
            for currency in perCurrency.fields {
                let rate: Value
                switch currency.value {
                case .double(let d): rate = .double(d)
                case .bigint(let i): rate = .double(Double(i))
                case .decimal(let s): rate = Double(s).map(Value.double) ?? .null
                default: rate = .null
                }
                out.append(Row([Row.Field("date", date), Row.Field("base", .text(quoted)),
                                Row.Field("currency", .text(currency.name)), Row.Field("rate", rate)]))
            }
        }
        return out
    }
}
