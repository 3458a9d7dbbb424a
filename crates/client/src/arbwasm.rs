//! The ArbWasm precompile: whether a chain runs Stylus, whether a program
//! is activated, and activating it.

use alloy::{
    primitives::{address, utils::parse_ether, Address, U256},
    providers::DynProvider,
    rpc::types::TransactionReceipt,
};
use eyre::{bail, WrapErr};

use crate::Confirm;

/// Where every Arbitrum chain keeps ArbWasm.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");

alloy::sol! {
    #[sol(rpc)]
    #[allow(missing_docs)]
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function programVersion(address program) external view returns (uint16 version);
        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }
}

/// Fails with a message naming the way out unless the chain runs Stylus.
pub async fn ensure_stylus(provider: &DynProvider) -> eyre::Result<()> {
    match ArbWasm::new(ARB_WASM, provider).stylusVersion().call().await {
        Ok(v) if v > 0 => Ok(()),
        _ => bail!(
            "this chain does not run Stylus programs (no ArbWasm precompile answers): start \
             arbos-anvil (scripts/devnet.sh up; its installer is arbos-foundryup) or point \
             STRAND_RPC_URL at a Stylus chain"
        ),
    }
}

/// Whether `program` is activated for the chain's current Stylus version.
pub async fn is_active(provider: &DynProvider, program: Address) -> eyre::Result<bool> {
    match ArbWasm::new(ARB_WASM, provider).programVersion(program).call().await {
        Ok(_) => Ok(true),
        Err(e) => match e.as_decoded_interface_error::<ArbWasm::ArbWasmErrors>() {
            Some(
                ArbWasm::ArbWasmErrors::ProgramNotActivated(_)
                | ArbWasm::ArbWasmErrors::ProgramNeedsUpgrade(_)
                | ArbWasm::ArbWasmErrors::ProgramExpired(_),
            ) => Ok(false),
            _ => Err(e).wrap_err_with(|| format!("cannot ask ArbWasm about {program}")),
        },
    }
}

/// Activates `program`, paying the data fee the chain asks (learnt by a
/// simulated activation; 10% on top in case the fee moves before the
/// transaction lands, the rest is refunded by ArbWasm).
pub async fn activate(
    provider: &DynProvider,
    program: Address,
) -> eyre::Result<TransactionReceipt> {
    let arb = ArbWasm::new(ARB_WASM, provider);
    let probe = parse_ether("1").expect("literal amount");
    let fee = arb.activateProgram(program).value(probe).call().await?.dataFee;
    let value = fee + fee / U256::from(10);
    arb.activateProgram(program).value(value).send().await?.confirmed().await
}
