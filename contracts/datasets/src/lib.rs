//! Strand's dataset registry.
//!
//! A dataset is one owner's genomic data, known on chain only as a salted
//! commitment (a hash: the data and the salt stay with the owner and the
//! vault operator), together with the operator that holds it. Owners
//! register datasets, move them to another operator and deactivate them;
//! the consent ledger reads the registry when an owner decides on a query
//! and when it claims a reward.
//!
//! The registry is a program of its own because the ledger with it does not
//! fit Stylus's 24 KiB limit; data only ever flows from here to the ledger.
//! It has no owner and no parameters, so it needs no initialisation.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK's generated `user_entrypoint` export carries no doc comment.
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]
// `msg::sender` and `evm::log` rather than `self.vm()`: a `dyn Host` keeps
// every host function in the binary (about 800 bytes compressed).
#![allow(deprecated)]
extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U64};
use alloy_sol_types::sol;
use strand_common::clock;
use stylus_sdk::{
    evm, msg,
    prelude::*,
    storage::{
        StorageAddress, StorageB256, StorageBool, StorageMap, StorageU64,
    },
};

// Events and errors live in `abi.sol`, which the exported ABI repeats with
// parameter names (the SDK's export lists neither events nor those names).
sol!(#![sol(all_derives)] "src/abi.sol");

/// Every way a registry call can fail.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`UnknownDataset`].
    UnknownDataset(UnknownDataset),
    /// See [`NotDatasetOwner`].
    NotDatasetOwner(NotDatasetOwner),
    /// See [`DatasetInactive`].
    DatasetInactive(DatasetInactive),
    /// See [`InvalidDataset`].
    InvalidDataset(InvalidDataset),
}

/// One registered dataset.
#[storage]
pub struct Dataset {
    owner: StorageAddress,
    operator: StorageAddress,
    commitment: StorageB256,
    active: StorageBool,
    deactivated_at: StorageU64,
}

/// The dataset registry program.
#[entrypoint]
#[storage]
pub struct Datasets {
    /// Slot 0, a whole word: Strand's init code writes the deploying
    /// account there, as for every program (the registry has nothing to
    /// initialise, so it is never read). Must stay the first field: before
    /// it existed, `count` shared slot 0 and ids started from the
    /// deployer's address bits.
    #[cfg_attr(not(test), allow(dead_code))] // held, not read, on chain
    deployer: StorageB256,
    count: StorageU64,
    datasets: StorageMap<u64, Dataset>,
}

#[public]
impl Datasets {
    /// Registers a dataset owned by the caller: a salted commitment to its
    /// data, held by `operator`. Returns its id (ids run from 1). Emits
    /// [`DatasetRegistered`].
    ///
    /// # Errors
    /// [`InvalidDataset`] for a zero commitment or operator.
    pub fn register(
        &mut self,
        commitment: B256,
        operator: Address,
    ) -> Result<u64, Error> {
        if commitment.is_zero() || operator.is_zero() {
            return Err(Error::InvalidDataset(InvalidDataset {}));
        }
        let owner = msg::sender();
        let id = self.count.get().to::<u64>() + 1;
        self.count.set(U64::from(id));
        let mut d = self.datasets.setter(id);
        d.owner.set(owner);
        d.operator.set(operator);
        d.commitment.set(commitment);
        d.active.set(true);
        evm::log(DatasetRegistered { id, owner, operator, commitment });
        Ok(id)
    }

    /// Moves an active dataset of the caller's to another operator. Emits
    /// [`DatasetOperatorChanged`].
    ///
    /// # Errors
    /// [`UnknownDataset`], [`NotDatasetOwner`], [`DatasetInactive`],
    /// [`InvalidDataset`] for a zero operator.
    pub fn set_operator(
        &mut self,
        dataset: u64,
        operator: Address,
    ) -> Result<(), Error> {
        let owner = self.own_active(dataset)?;
        if operator.is_zero() {
            return Err(Error::InvalidDataset(InvalidDataset {}));
        }
        let previous = self.datasets.get(dataset).operator.get();
        self.datasets.setter(dataset).operator.set(operator);
        evm::log(DatasetOperatorChanged {
            id: dataset,
            owner,
            previous,
            current: operator,
        });
        Ok(())
    }

    /// Deactivates a dataset of the caller's for good, withdrawing it from
    /// every query not yet answered. Emits [`DatasetDeactivated`].
    ///
    /// # Errors
    /// [`UnknownDataset`], [`NotDatasetOwner`], [`DatasetInactive`].
    pub fn deactivate(&mut self, dataset: u64) -> Result<(), Error> {
        let owner = self.own_active(dataset)?;
        let at = clock::now();
        let mut d = self.datasets.setter(dataset);
        d.active.set(false);
        d.deactivated_at.set(U64::from(at));
        evm::log(DatasetDeactivated { id: dataset, owner, at });
        Ok(())
    }

    /// Dataset `id`: owner (zero if there is no such dataset), operator,
    /// commitment, whether active, and when it was deactivated (0 if not).
    pub fn dataset(&self, id: u64) -> (Address, Address, B256, bool, u64) {
        let d = self.datasets.get(id);
        (
            d.owner.get(),
            d.operator.get(),
            d.commitment.get(),
            d.active.get(),
            d.deactivated_at.get().to(),
        )
    }

    /// How many datasets were registered.
    pub fn count(&self) -> u64 {
        self.count.get().to()
    }
}

impl Datasets {
    /// The caller, if it owns `dataset` and the dataset is active.
    fn own_active(&self, dataset: u64) -> Result<Address, Error> {
        let d = self.datasets.get(dataset);
        let owner = d.owner.get();
        if owner.is_zero() {
            return Err(Error::UnknownDataset(UnknownDataset { dataset }));
        }
        let caller = msg::sender();
        if owner != caller {
            return Err(Error::NotDatasetOwner(NotDatasetOwner {
                dataset,
                caller,
            }));
        }
        if !d.active.get() {
            return Err(Error::DatasetInactive(DatasetInactive { dataset }));
        }
        Ok(owner)
    }

    /// Test-only: does what the deployment's init code does on chain,
    /// writing the deployer into slot 0.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn deployed_by(&mut self, deployer: Address) {
        self.deployer.set(deployer.into_word());
    }
}

#[cfg(test)]
mod tests;
