import Sources

extension ProjectSchema {
    /// The `[pipelines.<p>]` keys of the bundled source packages (Sources/Sources/<Name>/); each package
    /// decodes them strictly too (``SourceSettings``), for sections that do not come through this file.
    static let sourcePackages: [String: ConfigSchema] = [
        CurrenciesSource.name: .table(["base_url": .string]),
        ExchangeRatesSource.name: .table(["base_url": .string, "base": .string, "symbols": strings, "start_date": .string,
                                          "end_date": .string], required: ["start_date"]),
        GitHubSource.name: .table(["base_url": .string, "owner": .string, "repo": .string, "start_date": .string,
                                   "state": .oneOf(["open", "closed", "all"]), "per_page": .integer, "pull_requests": .boolean,
                                   "comments": .boolean], required: ["owner", "repo"]),
        NYCTaxiSource.name: .table(["base_url": .string, "colour": .oneOf(NYCTaxiSource.colours), "year": .integer,
                                    "months": .list(.integer), "chunk_size": .integer], required: ["colour", "year"]),
    ]
}
