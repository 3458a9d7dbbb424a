//! Prints the program's Solidity ABI: the SDK's export of its functions and
//! errors, followed by `abi.sol` (events and named errors), which the SDK
//! does not export. Built with `--features export-abi`.
#[cfg(feature = "export-abi")]
fn main() {
    strand_ledger::print_abi("MIT OR Apache-2.0", "pragma solidity ^0.8.23;");
    print!("\n{}", include_str!("abi.sol"));
}
