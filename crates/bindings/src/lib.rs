//! Bindings of the Strand Stylus programs, generated at compile time from
//! the ABI files that `scripts/export-abi.sh` exports from the contract
//! sources into `contracts/abi/`. A change to a program's interface that is
//! not re-exported fails the ABI drift check; one that is re-exported shows
//! up here as a compile error wherever the off-chain code disagrees.
#![allow(missing_docs, clippy::too_many_arguments)] // generated code

/// The GENE token: `IGene` for calls, and its events and errors.
pub mod gene {
    alloy::sol!(
        #![sol(rpc, all_derives)]
        "../../contracts/abi/Gene.sol"
    );
}

/// Operator staking: `IStaking` for calls, and its events and errors.
pub mod staking {
    alloy::sol!(
        #![sol(rpc, all_derives)]
        "../../contracts/abi/Staking.sol"
    );
}

/// The dataset registry: `IDatasets` for calls, and its events and errors.
pub mod datasets {
    alloy::sol!(
        #![sol(rpc, all_derives)]
        "../../contracts/abi/Datasets.sol"
    );
}

/// The consent ledger: `ILedger` for calls, and its events and errors.
pub mod ledger {
    alloy::sol!(
        #![sol(rpc, all_derives)]
        "../../contracts/abi/Ledger.sol"
    );
}
