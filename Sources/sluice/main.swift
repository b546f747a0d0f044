// The `sluice` command: the bundled sources and destinations. To build one with your own sources
// registered, see `Sluice.main(sources:destinations:)` in SluiceCLI and Examples/CustomSource.
import SluiceCLI

await Sluice.main()
