import SluiceProject
/// The version `sluice --version` prints.
enum SluiceVersion {
    static let current = "0.1.0"
}

/// What the `sluice` executable is built with: the project configuration every command starts from
/// (the bundled sources and destinations, unless an embedding executable registered more).
enum Sluice {
    nonisolated(unsafe) static var projectConfiguration = Project.Configuration()
}
