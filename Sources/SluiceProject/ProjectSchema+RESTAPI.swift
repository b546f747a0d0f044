import Sources

extension ProjectSchema {
    /// A `source = "rest_api"` pipeline: `client` and `resources` (see `RESTAPISource`). Paginator and auth
    /// tables are checked by their `type`, so a key of another kind is an error too.
    static let restAPI = ConfigSchema.table(["client": restClient, "resources": .map(restResource, kind: "resource", safeNames: true)],
                                            required: ["client", "resources"])

    static let restPaginator = ConfigSchema.tagged(tag: "type", common: ["type": .string], variants: [
        "single_page": .table([:]),
        "header_link": .table(["links_next_key": .string]),
        "json_link": .table(["next_url_path": .string]),
        "cursor": .table(["cursor_path": .string, "cursor_param": .string]),
        "offset": .table(["limit": .integer, "offset": .integer, "offset_param": .string, "limit_param": .string, "total_path": .string,
                          "maximum_offset": .integer, "stop_on_short_page": .boolean], required: ["limit"]),
        "page_number": .table(["page_param": .string, "base_page": .integer, "total_path": .string, "maximum_page": .integer]),
    ])

    /// The auth kinds; their secrets are in secrets.toml (`[sources.<p>.credentials]`), never here.
    static let restAuth = ConfigSchema.tagged(tag: "type", common: ["type": .string], variants: [
        "bearer": .table([:]),
        "api_key": .table(["name": .string, "location": .oneOf(["header", "query"])]),
        "http_basic": .table([:]),
        "oauth2_client_credentials": .table(["access_token_url": .string, "scopes": strings], required: ["access_token_url"]),
    ])

    static let restClient = ConfigSchema.table([
        "base_url": .string, "headers": .map(.string, kind: "header"), "auth": restAuth, "paginator": restPaginator,
        "timeout": .number, "requests_per_second": .number, "max_attempts": .integer,
    ], required: ["base_url"])

    /// A resource: its endpoint, the shared table settings, and the incremental cursor's query parameters.
    static let restResource: ConfigSchema = {
        guard case .table(var incrementalKeys, let required) = incremental else { return incremental }
        incrementalKeys["param"] = .string
        incrementalKeys["end_param"] = .string
        return .table(tableSettings.merging([
            "path": .string, "params": .map(.either(.scalar, .boolean), kind: "parameter"), "data_selector": .string,
            "paginator": restPaginator, "include_from_parent": strings, "incremental": .table(incrementalKeys, required: required),
        ]) { _, endpoint in endpoint })
    }()
}
