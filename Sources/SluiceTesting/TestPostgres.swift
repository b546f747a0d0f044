import DatabaseClients
import Foundation
import PipelineCore

/// The PostgreSQL server `scripts/test` starts for the run (`SLUICE_TEST_POSTGRES`, a connection URL).
///
/// Suites that need it are `.enabled(if: TestPostgres.available)`: skipped locally without a server,
/// and run (failing) under CI when it is missing, so CI never passes by skipping them.
public enum TestPostgres {
    public static let connection = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES"]
    /// Locally without a server the suite is skipped; under CI it runs, and fails if there is none.
    public static let available = connection != nil || ProcessInfo.processInfo.environment["CI"] != nil

    /// The server's credentials; an error saying how to get one when none was started.
    public static func credentials() throws -> PostgresCredentials {
        guard let connection else {
            throw SluiceError(.configuration, "SLUICE_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a server")
        }
        return try PostgresCredentials(connectionString: connection)
    }
}
