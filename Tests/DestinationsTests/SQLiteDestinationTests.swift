import SluiceTesting
import Destinations
import Foundation
import DatabaseClients
import PipelineCore
import Testing

@Suite("SQLite destination contract")
struct SQLiteDestinationTests {
    /// A one-table package written by hand, as the engine would write it.
    func package(in dir: String, loadId: String, table: String, columns: [ColumnSchema], rows: [[(Int, Value)]]) throws -> NormalizedPackage {
        let path = dir + "/\(loadId).rows"
        let writer = try PackageFileWriter(path: path)
        for row in rows { try writer.writeFlatRow(row) }
        try writer.sync()
        let schema = Schema(name: "p", version: 1, tables: [TableSchema(name: table, columns: columns)])
        return NormalizedPackage(loadId: loadId, dataset: "p", schema: schema,
                                 files: [.init(table: table, path: path, rowCount: rows.count)], replacedRoots: [])
    }

    func scratch() -> String {
        try! TemporaryDirectory.make("dest")
    }

    @Test func aPackageLoadsOnceEvenWhenLoadedTwice() async throws {
        let dir = scratch()
        let destination = SQLiteDestination(path: dir + "/p.sqlite")
        let p = try package(in: dir, loadId: "1.000001", table: "t",
                            columns: [ColumnSchema(name: "id", dataType: .bigint)], rows: [[(0, .bigint(1))], [(0, .bigint(2))]])
        try await destination.load(p)
        try await destination.load(p)  // e.g. a run killed after the commit, before the package moved on
        let count = try destination.withConnection { try $0.query("SELECT count(*) FROM t")[0][0] }
        #expect(count == "2")
        let loads = try destination.withConnection { try $0.query("SELECT count(*) FROM _dlt_loads")[0][0] }
        #expect(loads == "1")
    }

    @Test func identifiersFromDataAreQuoted() async throws {
        let dir = scratch()
        let destination = SQLiteDestination(path: dir + "/p.sqlite")
        let hostile = "x\"; DROP TABLE _dlt_loads; --"
        let p = try package(in: dir, loadId: "1.000002", table: "select", columns: [
            ColumnSchema(name: hostile, dataType: .text), ColumnSchema(name: "order", dataType: .double),
        ], rows: [[(0, .text("it's \"quoted\"")), (1, .double(1.5))]])
        try await destination.load(p)
        let row = try destination.withConnection { try $0.query("SELECT \(quoteIdentifier(hostile)), \"order\" FROM \"select\"")[0] }
        #expect(row == ["it's \"quoted\"", "1.5"])
        #expect(try destination.withConnection { try $0.tableExists("_dlt_loads") })
    }

    @Test func storedSchemaRoundTrips() async throws {
        let dir = scratch()
        let destination = SQLiteDestination(path: dir + "/p.sqlite")
        #expect(try await destination.storedSchema(named: "p") == nil)
        let p = try package(in: dir, loadId: "1.000003", table: "t",
                            columns: [ColumnSchema(name: "id", dataType: .bigint, nullable: false, primaryKey: true)],
                            rows: [[(0, .bigint(1))]])
        try await destination.load(p)
        #expect(try await destination.storedSchema(named: "p") == p.schema)
    }
}
