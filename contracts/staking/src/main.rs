//! Prints the staking program's Solidity interface (`--features export-abi`).
#[cfg(feature = "export-abi")]
fn main() {
    strand_staking::print_from_args();
}
