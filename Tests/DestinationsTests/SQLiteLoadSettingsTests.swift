import DatabaseClients
import SluiceTesting
import Testing

@testable import Destinations

/// A load's memory must not grow with its rows: what a merge stages (temporary tables, sorts, key sets)
/// goes to a temporary file behind a page cache of fixed size, never to memory.
@Suite("SQLite load settings")
struct SQLiteLoadSettingsTests {
    @Test func temporaryTablesLiveOnDiskBehindABoundedCache() throws {
        let db = try SQLiteConnection(path: try TemporaryDirectory.make("settings") + "/p.sqlite")
        try SQLiteDestination.prepareForLoad(db)
        #expect(try db.query("PRAGMA temp_store").first?[0] == "1")  // FILE, not MEMORY (2)
        // Negative cache sizes are KiB: the database's and the temporary tables' caches are both bounded.
        let limit = "-\(SQLiteDestination.loadCacheKiB)"
        #expect(try db.query("PRAGMA main.cache_size").first?[0] == limit)
        #expect(try db.query("PRAGMA temp.cache_size").first?[0] == limit)
        #expect(SQLiteDestination.loadCacheKiB <= 32 * 1024)
    }
}
