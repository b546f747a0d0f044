import Foundation
import PipelineCore
import SluiceProject
import Sources
import Testing

/// Every key of a rest_api pipeline is checked: unknown keys, keys of another paginator or auth kind,
/// secrets written in sluice.toml, and settings that cannot work together.
@Suite("rest_api settings")
struct RESTAPISchemaTests {
    static let base = """
        [pipelines.gh]
        source = "rest_api"
        client = { base_url = "https://api.example.com/v1/", paginator = { type = "offset", limit = 50, total_path = "total" } }

        [pipelines.gh.resources.issues]
        data_selector = "data"
        params = { state = "all", per_page = 100, draft = false }
        incremental = { cursor = "updated_at", initial_value = "2024-01-01", param = "since" }

        """

    static func issues(_ extra: String) -> [String] {
        guard let (_, issues) = try? ProjectSchema.check(base + extra, file: "sluice.toml", schema: ProjectSchema.sluiceToml) else { return ["not TOML"] }
        return issues.map(\.description)
    }

    @Test func theSampleIsValid() {
        #expect(Self.issues("") == [])
    }

    @Test(arguments: [
        ("[pipelines.gh.resources.comments]\npath = \"x\"\nwrite_dispositon = \"merge\"\n",
         "sluice.toml: [pipelines.gh.resources.comments] write_dispositon: unknown key (did you mean 'write_disposition'?)"),
        ("[pipelines.gh.resources.comments]\npaginator = { type = \"offset\", limit = 5, cursor_path = \"c\" }\n",
         "sluice.toml: [pipelines.gh.resources.comments.paginator] cursor_path: unknown key"),
        ("[pipelines.gh.resources.comments]\npaginator = { type = \"offset\" }\n",
         "sluice.toml: [pipelines.gh.resources.comments.paginator] limit: missing"),
        ("[pipelines.gh.resources.comments]\npaginator = { type = \"pages\" }\n",
         "sluice.toml: [pipelines.gh.resources.comments.paginator] type: unknown type \"pages\""),
        ("[pipelines.gh.resources.comments]\nincremental = { cursor = \"u\", parameter = \"since\" }\n",
         "sluice.toml: [pipelines.gh.resources.comments.incremental] parameter: unknown key"),
        ("[pipelines.gh.resources.comments]\nparams = { q = [1, 2] }\n",
         "sluice.toml: [pipelines.gh.resources.comments.params] q: expected"),
    ])
    func aWrongKeyIsNamedWithItsFileAndTable(extra: String, expected: String) {
        let found = Self.issues(extra)
        #expect(found.count == 1 && found.first?.hasPrefix(expected) == true, "\(found)")
    }

    @Test func aSecretInSluiceTomlIsRefused() {
        let toml = Self.base.replacingOccurrences(of: "paginator = {", with: "auth = { type = \"bearer\", token = \"ghp-123\" }, paginator = {")
        let found = (try? ProjectSchema.check(toml, file: "sluice.toml", schema: ProjectSchema.sluiceToml).1.map(\.description)) ?? []
        #expect(found == ["sluice.toml: [pipelines.gh.client.auth] token: unknown key (known keys: type)"])
    }

    /// What the schema cannot see is checked when the source is built (`sluice check` builds it too).
    @Test(arguments: [
        (#"{"client": {"base_url": "ftp://x"}, "resources": {"a": {}}}"#, "[pipelines.p.client] base_url: not an http(s) URL"),
        (#"{"client": {"base_url": "https://u:p@x.org/"}, "resources": {"a": {}}}"#, "no credentials or query in the URL"),
        (#"{"client": {"base_url": "https://x.org/", "auth": {"type": "bearer"}}, "resources": {"a": {}}}"#,
         "auth type \"bearer\" needs token in [sources.p.credentials] of secrets.toml (or SOURCES__P__CREDENTIALS__TOKEN)"),
        (#"{"client": {"base_url": "https://x.org/"}, "resources": {"a": {"path": "x/{resources.b.id}"}}}"#,
         "[pipelines.p.resources.a]: \"{resources.b.id}\" names no other resource"),
        (#"{"client": {"base_url": "https://x.org/"}, "resources": {"a": {"path": "x/{id}"}}}"#, "\"{id}\" is not a parent field"),
        (#"{"client": {"base_url": "https://x.org/"}, "resources": {"a": {"include_from_parent": ["id"]}}}"#, "include_from_parent needs a parent"),
        (#"{"client": {"base_url": "https://x.org/"}, "resources": {"a": {"path": "{resources.b.id}"}, "b": {"path": "{resources.a.id}"}}}"#,
         "its parents form a cycle (a, b)"),
        (#"{"client": {"base_url": "https://x.org/"}, "resources": {"a": {"write_disposition": "merge"}}}"#, "needs primary_key or merge_key"),
    ])
    func settingsThatCannotWorkAreErrorsWhenBuilt(json: String, expected: String) {
        #expect(throws: SluiceError.self) { try RESTAPISource.build(pipeline: "p", settings: Data(json.utf8)) }
        do {
            _ = try RESTAPISource.build(pipeline: "p", settings: Data(json.utf8))
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func resourcesRunParentsFirst() throws {
        let json = #"{"client": {"base_url": "https://x.org/"}, "resources": {"a_comments": {"path": "i/{resources.z_issues.n}/c"}, "z_issues": {}, "m": {}}}"#
        let source = try RESTAPISource.build(pipeline: "p", settings: Data(json.utf8))
        #expect(source.resources.map(\.name) == ["m", "z_issues", "a_comments"])
    }
}
