import Foundation
import PipelineCore
import SluiceTesting
import Sources
import Testing

/// A client of `server` whose waits are recorded, not slept.
func makeClient(_ server: FixtureHTTPServer, clock: FastForwardClock = FastForwardClock(),
                _ configure: (inout RESTClient.Configuration) -> Void = { _ in }) -> RESTClient
{
    var configuration = RESTClient.Configuration(baseURL: URL(string: server.baseURL + "/api/")!)
    // Generous: under a loaded CI machine a loopback answer can take seconds, and a timeout would add an
    // attempt the test does not expect. Tests of timeouts set their own.
    configuration.timeout = .seconds(60)
    configure(&configuration)
    return RESTClient(configuration, clock: clock)
}

/// Every record of every page, with the page count.
func collect(_ pages: RESTPages) async throws -> (records: [Value], pages: Int) {
    var records: [Value] = []
    var count = 0
    for try await page in pages {
        records += page.records
        count += 1
    }
    return (records, count)
}

/// `[{"id": from}, ..., {"id": to - 1}]` as JSON text.
func items(_ ids: Range<Int>) -> String {
    "[" + ids.map { #"{"id":\#($0)}"# }.joined(separator: ",") + "]"
}

func ids(_ records: [Value]) -> [Int64] {
    records.compactMap { if case .object(let row) = $0, case .bigint(let id)? = row["id"] { id } else { nil } }
}

