import Foundation
import PipelineCore

extension RESTAPISource {
    /// A `[pipelines.<name>]` section with `source = "rest_api"`, and the credentials the project adds
    /// from secrets.toml (`[sources.<name>.credentials]`), never from sluice.toml.
    public struct Settings: Decodable, Sendable {
        public var client: Client
        public var resources: [String: ResourceSettings]
        public var credentials: Credentials?
    }

    /// `[sources.<pipeline>.credentials]`: a table of named secrets (`token`, `api_key`, `username`,
    /// `password`, `client_id`, `client_secret`), or a single string (which the auths do not read).
    public enum Credentials: Decodable, Sendable {
        case text(String)
        case table([String: String])

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) { self = .text(text) } else { self = .table(try c.decode([String: String].self)) }
        }
    }

    /// `[pipelines.<p>.client]`: where the API is and how to talk to it.
    public struct Client: Decodable, Sendable {
        public var baseURL: String
        public var headers: [String: String]?
        public var auth: Auth?
        /// The paginator of every resource that names none (default: a single page).
        public var paginator: PaginatorSettings?
        /// Seconds a request may wait for data (default 60).
        public var timeout: Double?
        public var requestsPerSecond: Double?
        /// Attempts per request, the first included (default 5).
        public var maxAttempts: Int?

        enum CodingKeys: String, CodingKey {
            case headers, auth, paginator, timeout
            case baseURL = "base_url"
            case requestsPerSecond = "requests_per_second"
            case maxAttempts = "max_attempts"
        }
    }

    /// `auth = { type = "bearer" }`: the kind, in dlt's names, and its settings that are not secret. The
    /// secrets come from `[sources.<p>.credentials]`: `token` (bearer), `api_key` (api_key), `username` and
    /// `password` (http_basic), `client_id` and `client_secret` (oauth2_client_credentials).
    public struct Auth: Decodable, Sendable {
        public var type: String
        /// api_key: the header or query parameter name (default `Authorization`).
        public var name: String?
        /// api_key: `header` (default) or `query`.
        public var location: APIKeyAuth.Location?
        /// oauth2_client_credentials: the token endpoint.
        public var accessTokenURL: String?
        public var scopes: [String]?

        enum CodingKeys: String, CodingKey {
            case type, name, location, scopes
            case accessTokenURL = "access_token_url"
        }
    }

    /// `paginator = { type = "offset", limit = 100, total_path = "total" }`, in dlt's names.
    public struct PaginatorSettings: Decodable, Sendable {
        public var type: String
        public var linksNextKey: String?
        public var nextURLPath: String?
        public var cursorPath: String?
        public var cursorParam: String?
        public var limit: Int?
        public var offset: Int?
        public var offsetParam: String?
        public var limitParam: String?
        public var totalPath: String?
        public var maximumOffset: Int?
        public var stopOnShortPage: Bool?
        public var pageParam: String?
        public var basePage: Int?
        public var maximumPage: Int?

        enum CodingKeys: String, CodingKey {
            case type, limit, offset
            case linksNextKey = "links_next_key"
            case nextURLPath = "next_url_path"
            case cursorPath = "cursor_path"
            case cursorParam = "cursor_param"
            case offsetParam = "offset_param"
            case limitParam = "limit_param"
            case totalPath = "total_path"
            case maximumOffset = "maximum_offset"
            case stopOnShortPage = "stop_on_short_page"
            case pageParam = "page_param"
            case basePage = "base_page"
            case maximumPage = "maximum_page"
        }

        /// The paginator these settings describe.
        public func paginator() throws -> any Paginator {
            switch type {
            case "single_page": return SinglePagePaginator()
            case "header_link": return HeaderLinkPaginator(rel: linksNextKey ?? "next")
            case "json_link": return JSONLinkPaginator(nextURLPath: JSONPath(nextURLPath ?? "next"))
            case "cursor":
                return JSONCursorPaginator(cursorPath: JSONPath(cursorPath ?? "cursors.next"), cursorParam: cursorParam ?? "cursor")
            case "offset":
                guard let limit, limit > 0 else { throw SluiceError(.configuration, "the offset paginator needs limit, a positive integer") }
                return OffsetPaginator(limit: limit, offset: offset ?? 0, offsetParam: offsetParam ?? "offset", limitParam: limitParam ?? "limit",
                                       totalPath: totalPath.map { JSONPath($0) }, maximumOffset: maximumOffset,
                                       stopOnShortPage: stopOnShortPage ?? false)
            case "page_number":
                return PageNumberPaginator(pageParam: pageParam ?? "page", basePage: basePage ?? 1, totalPagesPath: totalPath.map { JSONPath($0) },
                                           maximumPage: maximumPage)
            default:
                throw SluiceError(.configuration, "unknown paginator type \"\(type)\" (known: \(RESTAPISource.paginatorTypes.joined(separator: ", ")))")
            }
        }
    }

    /// `[pipelines.<p>.resources.<name>]`: one endpoint, its table's settings (``TableSettings``), and its
    /// parent's fields when it is a dependent resource.
    public struct ResourceSettings: Decodable, Sendable {
        /// Relative to the base URL; default: the resource's name. `{resources.<parent>.<field>}` takes a
        /// field of each record of the parent resource.
        public var path: String?
        /// Query parameters; values may hold `{resources.<parent>.<field>}` too.
        public var params: [String: String]?
        /// Where the records are in the body (default: the body itself).
        public var dataSelector: String?
        public var paginator: PaginatorSettings?
        /// Parent fields added to each record as `_<parent>_<field>` (dlt's `include_from_parent`).
        public var includeFromParent: [String]?
        /// The query parameters the incremental window goes into (`incremental.param`, `incremental.end_param`).
        public var startParam: String?
        public var endParam: String?
        /// Write disposition, keys, incremental cursor, contract, privacy and column types.
        public var settings: TableSettings

        enum CodingKeys: String, CodingKey {
            case path, params, paginator, incremental
            case dataSelector = "data_selector"
            case includeFromParent = "include_from_parent"
        }

        enum IncrementalKeys: String, CodingKey {
            case param
            case endParam = "end_param"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decodeIfPresent(String.self, forKey: .path)
            params = try c.decodeIfPresent([String: Scalar].self, forKey: .params)?.mapValues(\.text)
            dataSelector = try c.decodeIfPresent(String.self, forKey: .dataSelector)
            paginator = try c.decodeIfPresent(PaginatorSettings.self, forKey: .paginator)
            includeFromParent = try c.decodeIfPresent([String].self, forKey: .includeFromParent)
            if c.contains(.incremental) {
                let inc = try c.nestedContainer(keyedBy: IncrementalKeys.self, forKey: .incremental)
                startParam = try inc.decodeIfPresent(String.self, forKey: .param)
                endParam = try inc.decodeIfPresent(String.self, forKey: .endParam)
            }
            settings = try TableSettings(from: decoder)  // the shared keys, from the same table
        }
    }

    /// A query parameter's value as written: text, a number or a boolean.
    struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else if let i = try? c.decode(Int64.self) {
                text = String(i)
            } else if let b = try? c.decode(Bool.self) {
                text = b ? "true" : "false"
            } else {
                text = String(try c.decode(Double.self))
            }
        }
    }
}
