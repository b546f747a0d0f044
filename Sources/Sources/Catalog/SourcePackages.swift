// The source packages of Sources/Sources/<Name>/, one line each, sorted by type name.
// `sluice new source <name>` adds the line of the package it scaffolds; keep this file to this list.

extension SourceCatalog {
    /// The bundled source packages that conform to ``SourcePackage`` (registered by ``SourceCatalog/bundled``).
    public static let packages: [any SourcePackage.Type] = [
        CurrenciesSource.self,
        ExchangeRatesSource.self,
        GitHubSource.self,
        NYCTaxiSource.self,
    ]
}
