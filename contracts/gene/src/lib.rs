//! GENE, the reward token of Strand.
//!
//! An ERC-20 with metadata, a hard supply cap, burning (slashes burn),
//! EIP-2612 `permit` (a researcher funds a query in one transaction) and a
//! single minter: the staking program, paying out emissions. Every piece of
//! token logic is OpenZeppelin's; this file only composes it.
//!
//! Every function is an inherent method rather than an implementation of
//! the library's traits: stylus-sdk 0.9 exports only inherent methods to
//! the Solidity ABI, and the ABI is what the off-chain crates are built
//! from.
//!
//! GENE has no owner. The minter is fixed when the token is initialised, so
//! nothing can mint outside the staking program's emission schedule, and
//! the cap bounds even that.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK's generated `user_entrypoint` export carries no doc comment.
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]
extern crate alloc;

use alloc::{string::String, vec::Vec};

use alloy_primitives::{aliases::B32, Address, B256, U256, U8};
use alloy_sol_types::sol;
use openzeppelin_stylus::{
    token::erc20::{
        self,
        extensions::{
            capped, permit, Capped, Erc20Metadata, Erc20Permit, ICapped,
            IErc20Metadata,
        },
        Erc20, IErc20,
    },
    utils::{
        cryptography::{ecdsa, eip712::IEip712},
        introspection::erc165::IErc165,
        nonces::{INonces, Nonces},
    },
};
use stylus_sdk::{prelude::*, storage::StorageAddress};

// Events and errors live in `abi.sol`, which the exported ABI repeats with
// parameter names (the SDK's export lists neither events nor those names).
sol!(#![sol(all_derives)] "src/abi.sol");

/// Every way a GENE call can fail.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`NotDeployer`].
    NotDeployer(NotDeployer),
    /// See [`NotMinter`].
    NotMinter(NotMinter),
    /// Minting would take the supply over the cap.
    ExceededCap(capped::ERC20ExceededCap),
    /// A cap of zero.
    InvalidCap(capped::ERC20InvalidCap),
    /// Not enough balance for a transfer or burn.
    InsufficientBalance(erc20::ERC20InsufficientBalance),
    /// A transfer from the zero address.
    InvalidSender(erc20::ERC20InvalidSender),
    /// A transfer to the zero address.
    InvalidReceiver(erc20::ERC20InvalidReceiver),
    /// Not enough allowance for `transferFrom` or `burnFrom`.
    InsufficientAllowance(erc20::ERC20InsufficientAllowance),
    /// An approval for the zero address.
    InvalidSpender(erc20::ERC20InvalidSpender),
    /// An approval from the zero address.
    InvalidApprover(erc20::ERC20InvalidApprover),
    /// A permit past its deadline.
    ExpiredSignature(permit::ERC2612ExpiredSignature),
    /// A permit signed by someone other than the owner.
    InvalidSigner(permit::ERC2612InvalidSigner),
    /// A signature that recovers no address.
    InvalidSignature(ecdsa::ECDSAInvalidSignature),
    /// A malleable signature (`s` in the upper half order).
    InvalidSignatureS(ecdsa::ECDSAInvalidSignatureS),
}

impl From<erc20::Error> for Error {
    fn from(e: erc20::Error) -> Self {
        match e {
            erc20::Error::InsufficientBalance(e) => {
                Self::InsufficientBalance(e)
            }
            erc20::Error::InvalidSender(e) => Self::InvalidSender(e),
            erc20::Error::InvalidReceiver(e) => Self::InvalidReceiver(e),
            erc20::Error::InsufficientAllowance(e) => {
                Self::InsufficientAllowance(e)
            }
            erc20::Error::InvalidSpender(e) => Self::InvalidSpender(e),
            erc20::Error::InvalidApprover(e) => Self::InvalidApprover(e),
        }
    }
}

impl From<capped::Error> for Error {
    fn from(e: capped::Error) -> Self {
        match e {
            capped::Error::ExceededCap(e) => Self::ExceededCap(e),
            capped::Error::InvalidCap(e) => Self::InvalidCap(e),
        }
    }
}

impl From<permit::Error> for Error {
    fn from(e: permit::Error) -> Self {
        match e {
            permit::Error::ExpiredSignature(e) => Self::ExpiredSignature(e),
            permit::Error::InvalidSigner(e) => Self::InvalidSigner(e),
            permit::Error::InsufficientBalance(e) => {
                Self::InsufficientBalance(e)
            }
            permit::Error::InvalidSender(e) => Self::InvalidSender(e),
            permit::Error::InvalidReceiver(e) => Self::InvalidReceiver(e),
            permit::Error::InsufficientAllowance(e) => {
                Self::InsufficientAllowance(e)
            }
            permit::Error::InvalidSpender(e) => Self::InvalidSpender(e),
            permit::Error::InvalidApprover(e) => Self::InvalidApprover(e),
            permit::Error::InvalidSignature(e) => Self::InvalidSignature(e),
            permit::Error::InvalidSignatureS(e) => Self::InvalidSignatureS(e),
        }
    }
}

/// The EIP-712 domain of GENE's permits.
#[storage]
pub struct Eip712;

impl IEip712 for Eip712 {
    const NAME: &'static str = "Strand GENE";
    const VERSION: &'static str = "1";
}

/// The GENE token program.
#[entrypoint]
#[storage]
pub struct Gene {
    /// Who deployed the program; written to slot 0 by the init code and
    /// cleared by `initialize`. Must stay the first field.
    deployer: StorageAddress,
    erc20: Erc20,
    metadata: Erc20Metadata,
    capped: Capped,
    nonces: Nonces,
    permit: Erc20Permit<Eip712>,
    minter: StorageAddress,
}

#[public]
impl Gene {
    /// Sets name, symbol, cap and the minter, and mints `initial_supply`
    /// to the caller. Only the deployer, once. Emits [`Initialized`].
    ///
    /// # Errors
    /// [`NotDeployer`], `ERC20InvalidCap` for a zero cap, `ERC20ExceededCap`
    /// when `initial_supply` is over the cap.
    pub fn initialize(
        &mut self,
        name: String,
        symbol: String,
        cap: U256,
        initial_supply: U256,
        minter: Address,
    ) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || self.deployer.get() != caller {
            return Err(Error::NotDeployer(NotDeployer { caller }));
        }
        self.deployer.set(Address::ZERO);
        self.metadata.constructor(name, symbol);
        self.capped.constructor(cap)?;
        self.minter.set(minter);
        self.mint_capped(caller, initial_supply)?;
        log(
            self.vm(),
            Initialized {
                holder: caller,
                minter,
                cap,
                initialSupply: initial_supply,
            },
        );
        Ok(())
    }

    /// Mints `value` to `to`. Only the minter.
    ///
    /// # Errors
    /// [`NotMinter`], `ERC20ExceededCap`, `ERC20InvalidReceiver`.
    pub fn mint(&mut self, to: Address, value: U256) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.minter.get() {
            return Err(Error::NotMinter(NotMinter { caller }));
        }
        self.mint_capped(to, value)
    }

    /// The account allowed to mint (the staking program).
    pub fn minter(&self) -> Address {
        self.minter.get()
    }

    /// Burns `value` of the caller's tokens.
    ///
    /// # Errors
    /// `ERC20InsufficientBalance`.
    pub fn burn(&mut self, value: U256) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        Ok(self.erc20._burn(caller, value)?)
    }

    /// Burns `value` of `account`'s tokens out of the caller's allowance.
    ///
    /// # Errors
    /// `ERC20InsufficientAllowance`, `ERC20InsufficientBalance`.
    pub fn burn_from(
        &mut self,
        account: Address,
        value: U256,
    ) -> Result<(), Error> {
        let caller = self.vm().msg_sender();
        self.erc20._spend_allowance(account, caller, value)?;
        Ok(self.erc20._burn(account, value)?)
    }

    /// Total GENE in existence.
    pub fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    /// `account`'s balance.
    pub fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    /// Moves `value` from the caller to `to`. Emits `Transfer`.
    ///
    /// # Errors
    /// `ERC20InsufficientBalance`, `ERC20InvalidReceiver`.
    pub fn transfer(
        &mut self,
        to: Address,
        value: U256,
    ) -> Result<bool, Error> {
        Ok(self.erc20.transfer(to, value)?)
    }

    /// What `spender` may still move of `owner`'s tokens.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    /// Lets `spender` move `value` of the caller's tokens. Emits
    /// `Approval`.
    ///
    /// # Errors
    /// `ERC20InvalidSpender`.
    pub fn approve(
        &mut self,
        spender: Address,
        value: U256,
    ) -> Result<bool, Error> {
        Ok(self.erc20.approve(spender, value)?)
    }

    /// Moves `value` from `from` to `to` out of the caller's allowance.
    /// Emits `Transfer`.
    ///
    /// # Errors
    /// `ERC20InsufficientAllowance`, `ERC20InsufficientBalance`,
    /// `ERC20InvalidReceiver`.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Error> {
        Ok(self.erc20.transfer_from(from, to, value)?)
    }

    /// The token's name.
    pub fn name(&self) -> String {
        self.metadata.name()
    }

    /// The token's symbol.
    pub fn symbol(&self) -> String {
        self.metadata.symbol()
    }

    /// Decimals of amounts: 18.
    pub fn decimals(&self) -> U8 {
        self.metadata.decimals()
    }

    /// The supply cap.
    pub fn cap(&self) -> U256 {
        self.capped.cap()
    }

    /// The next permit nonce of `owner`.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.nonces(owner)
    }

    /// ERC-165: true for the ERC-20 and ERC-20 metadata interfaces.
    pub fn supports_interface(&self, interface_id: B32) -> bool {
        Erc20::supports_interface(&self.erc20, interface_id)
            || Erc20Metadata::supports_interface(&self.metadata, interface_id)
    }

    /// The EIP-712 domain separator of permits.
    #[selector(name = "DOMAIN_SEPARATOR")]
    pub fn domain_separator(&self) -> B256 {
        self.permit.domain_separator()
    }

    /// Sets `spender`'s allowance over `owner`'s tokens from `owner`'s
    /// EIP-2612 signature. Emits `Approval`.
    ///
    /// # Errors
    /// `ERC2612ExpiredSignature`, `ERC2612InvalidSigner`,
    /// `ECDSAInvalidSignature`, `ECDSAInvalidSignatureS`.
    #[allow(clippy::too_many_arguments)]
    pub fn permit(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> Result<(), Error> {
        Ok(self.permit.permit(
            owner,
            spender,
            value,
            deadline,
            v,
            r,
            s,
            &mut self.erc20,
            &mut self.nonces,
        )?)
    }
}

impl Gene {
    /// Mints through OpenZeppelin's ERC-20 after checking the cap, as the
    /// library's `Capped` asks of the program that composes it.
    fn mint_capped(&mut self, to: Address, value: U256) -> Result<(), Error> {
        let cap = self.capped.cap();
        match self.erc20.total_supply().checked_add(value) {
            Some(supply) if supply <= cap => Ok(self.erc20._mint(to, value)?),
            supply => Err(Error::ExceededCap(capped::ERC20ExceededCap {
                increased_supply: supply.unwrap_or(U256::MAX),
                cap,
            })),
        }
    }

    /// Test-only: stands in for the deployment's init code, which records
    /// the deployer in slot 0 on chain.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn deployed_by(&mut self, deployer: Address) {
        self.deployer.set(deployer);
    }
}

#[cfg(test)]
mod tests;
