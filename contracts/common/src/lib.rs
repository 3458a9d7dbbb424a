//! Pieces shared by the Strand Stylus programs.
//!
//! - [`clock`]: the block timestamp, with a test clock on native builds so
//!   that motsu tests can move time forward.
//! - [`Revert`]: a program's own custom errors, or the revert data of a
//!   program it called, passed through unchanged so that callers see the
//!   real cause (for example GENE's `ERC20InsufficientAllowance`).
//! - [`IGene`]: the slice of the GENE token the other programs call.
//!
//! Every program keeps the address that deployed it in storage slot 0: the
//! deployment's init code writes `CALLER` there before it returns the
//! program's code, so only that account can call `initialize`, in the same
//! breath as the deployment or later, and nobody can step in between.
#![cfg_attr(target_arch = "wasm32", no_std)]
extern crate alloc;

use alloc::{vec, vec::Vec};

use stylus_sdk::prelude::sol_interface;

pub mod clock;

pub use gene::IGene;

#[allow(missing_docs, clippy::too_many_arguments)] // generated call stubs
mod gene {
    use super::*;

    sol_interface! {
    /// The GENE token as the staking and ledger programs call it.
    interface IGene {
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function mint(address to, uint256 value) external;
        function burn(uint256 value) external;
        function cap() external view returns (uint256);
        function minter() external view returns (address);
        function totalSupply() external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
    }
    }
}

pub use datasets::IDatasets;
pub use staking::IStaking;

#[allow(missing_docs)] // generated call stubs
mod datasets {
    use super::*;

    sol_interface! {
    /// The dataset registry as the ledger reads it.
    interface IDatasets {
        function dataset(uint64 id) external view returns (address, address, bytes32, bool, uint64);
    }
    }
}

#[allow(missing_docs)] // generated call stubs
mod staking {
    use super::*;

    sol_interface! {
    /// The staking program as the ledger calls it.
    interface IStaking {
        function isEligible(address operator) external view returns (bool);
        function slash(address operator, address challenger) external returns (uint256);
        function disputeHorizon() external view returns (uint64);
    }
    }
}

/// Basis points in one whole: 10,000 bps = 100%.
pub const BPS: u16 = 10_000;

/// Why a call failed: one of the program's own errors, or the revert data
/// of a program it called.
#[derive(Debug)]
pub enum Revert<E> {
    /// A custom error of this program.
    Own(E),
    /// Revert data of a called program, returned as it came.
    Bubble(Vec<u8>),
}

impl<E> From<E> for Revert<E> {
    fn from(e: E) -> Self {
        Self::Own(e)
    }
}

impl<E: Into<Vec<u8>>> From<Revert<E>> for Vec<u8> {
    fn from(revert: Revert<E>) -> Self {
        match revert {
            Revert::Own(e) => e.into(),
            Revert::Bubble(data) => data,
        }
    }
}

impl<E> Revert<E> {
    /// Maps a failed call to another program to its revert data.
    // `sol_interface!` in stylus-sdk 0.9 still returns the deprecated type.
    #[allow(deprecated)]
    pub fn bubble(err: stylus_sdk::call::Error) -> Self {
        match err {
            stylus_sdk::call::Error::Revert(data) => Self::Bubble(data),
            // A reply that does not decode: nothing more precise to say.
            stylus_sdk::call::Error::AbiDecodingFailed(_) => {
                Self::Bubble(Vec::new())
            }
        }
    }
}

#[cfg(feature = "export-abi")]
impl<E: stylus_sdk::abi::export::internal::InnerTypes>
    stylus_sdk::abi::export::internal::InnerTypes for Revert<E>
{
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        E::inner_types()
    }
}

/// A parameter's name as the `bytes32` key of a `ParameterChanged` event:
/// the ASCII bytes, zero-padded on the right.
pub const fn key(name: &str) -> alloy_primitives::B256 {
    let bytes = name.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < bytes.len() && i < 32 {
        out[i] = bytes[i];
        i += 1;
    }
    alloy_primitives::B256::new(out)
}
