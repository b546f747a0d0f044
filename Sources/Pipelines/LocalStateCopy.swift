import Foundation
import PipelineCore

/// The local copy of a pipeline's state, `.sluice/<pipeline>/state.json`: for people and tools to read,
/// never for a run to start from (the destination a run loads into is the truth). It names the
/// destination and dataset it was copied from, so it can never pass for another destination's state.
struct LocalStateCopy: Codable, Sendable {
    /// The destination's name (`sqlite`, `postgres`).
    var destination: String
    /// Where it is, as ``Destination/location`` says it (no credentials).
    var location: String
    var dataset: String
    var state: PipelineState

    /// Writes the copy atomically (a temporary file, then a rename), replacing whatever was there.
    func write(to path: String) throws {
        let tmp = path + ".tmp"
        try ManifestIO.write(self, to: tmp)
        guard rename(tmp, path) == 0 else { throw SluiceError(.io, "cannot save state to \(path)") }
    }
}
