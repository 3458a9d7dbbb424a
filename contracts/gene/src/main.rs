//! Prints GENE's Solidity interface (`--features export-abi`).
#[cfg(feature = "export-abi")]
fn main() {
    strand_gene::print_from_args();
}
