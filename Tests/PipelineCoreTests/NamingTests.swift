import PipelineCore
import Testing

@Suite("dlt snake_case naming")
struct NamingTests {
    // Expected names were produced by dlt 1.31's snake_case `normalize_path` on the same inputs.
    @Test(arguments: [
        ("CamelCase", "camel_case"), ("+1", "x1"), ("-1", "_1"), ("123abc", "_123abc"), ("a b  c", "a_b_c"),
        ("trailing_", "trailingx"), ("ABcDef", "a_bc_def"), ("@home", "ahome"), ("HTTPResponse", "http_response"),
        ("user__login", "user__login"), ("  spaced  ", "spaced"), ("Ünïcode key", "_n_code_key"),
        ("__double__under__", "double__under"), ("a|b*c", "albxc"), ("already_snake", "already_snake"),
        ("getHTTPResponseCode", "get_http_response_code"), ("x-ray", "x_ray"), ("\u{661}abc", "_\u{661}abc"),
        ("_dlt_id", "_dlt_id"),
    ])
    func matchesDlt(input: String, expected: String) {
        #expect(Naming.normalizePath(input) == expected)
    }

    @Test func blankKeysGetDltsEmptyName() {
        #expect(Naming.normalizeIdentifier("   ") == "_empty")
    }
}
