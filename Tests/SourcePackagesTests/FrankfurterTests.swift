import Foundation
import PipelineCore
import Pipelines
import SluiceTesting
import Sources
import Synchronization
import Testing

/// `currencies` and `exchange_rates` against a loopback server answering as Frankfurter's v1 API does
/// (<https://frankfurter.dev/v1>): `/v1/currencies` and the time series `/v1/{start}..{end}`.
@Suite("currencies and exchange_rates end to end")
struct FrankfurterTests {
    /// A Frankfurter-like API: rates for weekdays from `first` up to `published` (days since 1970).
    final class API: Sendable {
        let state = Shared((currencies: ["AUD": "Australian Dollar", "GBP": "British Pound", "USD": "United States Dollar"], published: 0))
        let server: FixtureHTTPServer

        init() throws {
            let state = self.state
            server = try FixtureHTTPServer { request, _ in
                let (currencies, published) = state.withLock { ($0.currencies, $0.published) }
                if request.path == "/v1/currencies" {
                    return .json("{" + currencies.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}")
                }
                let range = String(request.path.dropFirst("/v1/".count)).components(separatedBy: "..")
                guard range.count == 2, case .date(let start)? = Timestamps.parse(range[0]) else { return .json(#"{"message": "not found"}"#, status: 404) }
                var end = published
                if !range[1].isEmpty, case .date(let last)? = Timestamps.parse(range[1]) { end = min(end, Int(last)) }
                let symbols = (request.query["symbols"] ?? "USD,GBP,JPY").split(separator: ",").map(String.init)
                let days = (Int(start)...max(Int(start), end)).filter { $0 <= end && ($0 + 3) % 7 < 5 }  // 1970-01-01 was a Thursday
                let rates = days.map { day in
                    "\"\(Timestamps.formatDate(Int32(day)))\": {" + symbols.map { "\"\($0)\": \($0 == "JPY" ? "160" : String(1 + Double(day % 100) / 1000))" }
                        .joined(separator: ", ") + "}"
                }
                return .json(#"{"amount": 1.0, "base": "\#(request.query["base"] ?? "EUR")", "start_date": "\#(range[0])", "rates": {"#
                    + rates.joined(separator: ", ") + "}}")
            }
        }
    }

    static var today: Int { Int(Date().timeIntervalSince1970 / 86_400) }

    @Test func currenciesAreReplacedWholeOnEachRun() async throws {
        let api = try API()
        defer { api.server.stop() }
        let project = try PackageProject("[pipelines.currencies]\nsource = \"currencies\"\nbase_url = \"\(api.server.baseURL)/v1/\"\n")
        defer { project.cleanup() }
        try await project.run("currencies")
        #expect(try project.rows("currencies", "SELECT code, name FROM currencies ORDER BY code")
            == [["AUD", "Australian Dollar"], ["GBP", "British Pound"], ["USD", "United States Dollar"]])
        api.state.withLock { $0.currencies = ["CHF": "Swiss Franc", "USD": "US Dollar"] }
        try await project.run("currencies")
        #expect(try project.rows("currencies", "SELECT code, name FROM currencies ORDER BY code") == [["CHF", "Swiss Franc"], ["USD", "US Dollar"]])
        #expect(api.server.requests.map(\.target) == ["/v1/currencies", "/v1/currencies"])
    }

    @Test func aDailyRunFetchesOnlyTheNewDays() async throws {
        let api = try API()
        defer { api.server.stop() }
        let start = Self.today - 13
        api.state.withLock { $0.published = Self.today - 5 }
        let project = try PackageProject("""
            [pipelines.rates]
            source = "exchange_rates"
            base_url = "\(api.server.baseURL)/v1"
            base = "USD"
            symbols = ["GBP", "JPY"]
            start_date = "\(Timestamps.formatDate(Int32(start)))"

            """)
        defer { project.cleanup() }
        try await project.run("rates")
        let weekdays = { (last: Int) in (start...last).filter { ($0 + 3) % 7 < 5 } }
        let firstDays = weekdays(Self.today - 5)
        #expect(try project.rows("rates", "SELECT count(*), count(DISTINCT date), min(base), max(base) FROM exchange_rates")
            == [[String(firstDays.count * 2), String(firstDays.count), "USD", "USD"]])
        // Typed: dates and doubles (a rate sent as 160 is still a double).
        #expect(try project.rows("rates", "SELECT typeof(rate) FROM exchange_rates WHERE currency = 'JPY' LIMIT 1") == [["real"]])
        #expect(api.server.requests.map(\.target) == ["/v1/\(Timestamps.formatDate(Int32(start)))..?base=USD&symbols=GBP,JPY"])

        // Four days later: the run asks from the last day loaded, and appends only the new days.
        api.state.withLock { $0.published = Self.today }
        try await project.run("rates")
        let allDays = weekdays(Self.today)
        let lastLoaded = Timestamps.formatDate(Int32(firstDays.last ?? start))
        #expect(api.server.requests.dropFirst().map(\.path) == ["/v1/\(lastLoaded).."])
        #expect(try project.rows("rates", "SELECT count(*), count(DISTINCT date || currency) FROM exchange_rates")
            == [[String(allDays.count * 2), String(allDays.count * 2)]])
    }

    @Test func longRangesAreAskedForNinetyDaysAtATime() async throws {
        let api = try API()
        defer { api.server.stop() }
        let today = 19_900  // 2024-06-26
        api.state.withLock { $0.published = today }
        var settings = try JSONDecoder().decode(ExchangeRatesSource.Settings.self, from: Data(#"{"start_date": "2024-01-01"}"#.utf8))
        settings.baseURL = api.server.baseURL + "/v1/"
        let source = try ExchangeRatesSource.source(pipeline: "rates", settings, today: { today })
        let project = try PackageProject("[pipelines.rates]\nsource = \"exchange_rates\"\nstart_date = \"2024-01-01\"\n")
        defer { project.cleanup() }
        _ = try await project.project().pipeline("rates").run(source)
        #expect(api.server.requests.map(\.path) == ["/v1/2024-01-01..2024-03-30", "/v1/2024-03-31.."])
        let weekdays = (19_723...today).filter { ($0 + 3) % 7 < 5 }.count
        #expect(try project.rows("rates", "SELECT count(DISTINCT date) FROM exchange_rates") == [[String(weekdays)]])
    }

    @Test func unknownAndMissingKeysAreErrors() async throws {
        let typo = await errorMessage {
            _ = try PackageProject("[pipelines.rates]\nsource = \"exchange_rates\"\nstart_date = \"2024-01-01\"\nsymbol = [\"USD\"]\n").project()
        }
        #expect(typo.contains("symbol") && typo.contains("symbols"), "\(typo)")
        let missing = await errorMessage { _ = try PackageProject("[pipelines.rates]\nsource = \"exchange_rates\"\n").project() }
        #expect(missing.contains("start_date"), "\(missing)")
        // Decoded outside a project too: the package's own strict decoding.
        let direct = await errorMessage {
            _ = try ExchangeRatesSource.build(pipeline: "rates", settings: Data(#"{"start_date": "2024-01-01", "bsae": "EUR"}"#.utf8))
        }
        #expect(direct.contains("[pipelines.rates] bsae: unknown key of the exchange_rates source"), "\(direct)")
    }
}
