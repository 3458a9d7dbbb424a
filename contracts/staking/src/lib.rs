//! Operator staking for Strand's vault operators.
//!
//! Operators stake GENE to answer queries. Stake at or above the minimum,
//! on an operator that is not jailed, makes it eligible. Leaving is a
//! request followed by a withdrawal once the unbonding period has passed;
//! stake that is unbonding can still be slashed.
//!
//! Emissions run at `reward_rate` GENE per second and are shared pro rata
//! to active stake through a reward-per-token accumulator, so every call
//! costs the same however many operators stake. The program mints what
//! accrues into its own balance as it accrues, then pays it on claim.
//!
//! Known failure modes of staking-reward contracts, and how this one
//! avoids them:
//! - Emissions while nothing is staked: time with no stake mints nothing,
//!   so nothing accrues that nobody can claim.
//! - Rate dilution by tiny top-ups: the rate is a parameter, not derived
//!   from deposits, and a top-up never resets a period or a timer.
//! - Rounding dust: the accumulator is scaled by 1e36 and carries the
//!   remainder of every division forward, and each operator's earnings are
//!   kept unrounded until a claim pays their whole-wei part and keeps the
//!   fraction. An operator is never short by a wei or more, and the program
//!   never owes more than it holds.
//! - Withdrawing before a dispute is judged: `unbonding_period` must be
//!   longer than `dispute_horizon`, the longest challenge plus arbitration
//!   window the ledger may use, and a jailed operator cannot withdraw.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK's generated `user_entrypoint` export carries no doc comment.
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]
extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{uint, Address, B256, U256, U64};
use alloy_sol_types::sol;
use openzeppelin_stylus::{
    access::ownable::{self, Ownable},
    utils::{pausable, IPausable, Pausable},
};
use strand_common::{clock, key, IGene, Revert, BPS};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64,
    },
};

/// Scale of the reward-per-token accumulator and of unclaimed earnings:
/// 1e36, so that `stake / PRECISION` stays below one wei for any stake
/// the supply can hold, and 256 bits still leave 1e41 of headroom.
const PRECISION: U256 =
    uint!(1_000_000_000_000_000_000_000_000_000_000_000_000_U256);
/// No slash takes more than half of an operator's stake.
pub const MAX_SLASH_BPS: u16 = 5_000;
/// The longest unbonding period: a year.
pub const MAX_UNBONDING: u64 = 365 * 24 * 3600;

// Events and errors live in `abi.sol`, which the exported ABI repeats with
// parameter names (the SDK's export lists neither events nor those names).
sol!(#![sol(all_derives)] "src/abi.sol");

/// Every way a staking call can fail on its own account (calls into GENE
/// that fail pass GENE's error through unchanged).
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`NotDeployer`].
    NotDeployer(NotDeployer),
    /// See [`NotSlasher`].
    NotSlasher(NotSlasher),
    /// See [`NotArbiter`].
    NotArbiter(NotArbiter),
    /// See [`ZeroAmount`].
    ZeroAmount(ZeroAmount),
    /// See [`InsufficientStake`].
    InsufficientStake(InsufficientStake),
    /// See [`NothingUnbonding`].
    NothingUnbonding(NothingUnbonding),
    /// See [`StillUnbonding`].
    StillUnbonding(StillUnbonding),
    /// See [`OperatorJailed`].
    OperatorJailed(OperatorJailed),
    /// See [`OperatorNotJailed`].
    OperatorNotJailed(OperatorNotJailed),
    /// See [`NothingToClaim`].
    NothingToClaim(NothingToClaim),
    /// See [`NothingToSlash`].
    NothingToSlash(NothingToSlash),
    /// See [`InvalidSlashShares`].
    InvalidSlashShares(InvalidSlashShares),
    /// See [`UnbondingTooShort`].
    UnbondingTooShort(UnbondingTooShort),
    /// See [`NotGeneMinter`].
    NotGeneMinter(NotGeneMinter),
    /// See [`ZeroRole`].
    ZeroRole(ZeroRole),
    /// See [`MinStakeTooLow`].
    MinStakeTooLow(MinStakeTooLow),
    /// See [`UnsupportedCap`].
    UnsupportedCap(UnsupportedCap),
    /// See [`ArithmeticOverflow`].
    ArithmeticOverflow(ArithmeticOverflow),
    /// The caller is not the owner.
    UnauthorizedAccount(ownable::OwnableUnauthorizedAccount),
    /// Ownership handed to the zero address.
    InvalidOwner(ownable::OwnableInvalidOwner),
    /// The program is paused.
    EnforcedPause(pausable::EnforcedPause),
    /// The program is not paused.
    ExpectedPause(pausable::ExpectedPause),
}

impl From<ownable::Error> for Error {
    fn from(e: ownable::Error) -> Self {
        match e {
            ownable::Error::UnauthorizedAccount(e) => {
                Self::UnauthorizedAccount(e)
            }
            ownable::Error::InvalidOwner(e) => Self::InvalidOwner(e),
        }
    }
}

impl From<pausable::Error> for Error {
    fn from(e: pausable::Error) -> Self {
        match e {
            pausable::Error::EnforcedPause(e) => Self::EnforcedPause(e),
            pausable::Error::ExpectedPause(e) => Self::ExpectedPause(e),
        }
    }
}

type Result<T, E = Revert<Error>> = core::result::Result<T, E>;

fn overflow() -> Error {
    Error::ArithmeticOverflow(ArithmeticOverflow {})
}

fn add(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_add(b).ok_or_else(overflow)
}

fn sub(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_sub(b).ok_or_else(overflow)
}

fn mul(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_mul(b).ok_or_else(overflow)
}

/// `a * b / d`, checked; `d` is never zero where this is called.
fn mul_div(a: U256, b: U256, d: U256) -> Result<U256, Error> {
    a.checked_mul(b).and_then(|p| p.checked_div(d)).ok_or_else(overflow)
}

/// One operator's position.
#[storage]
pub struct Operator {
    stake: StorageU256,
    unbonding: StorageU256,
    release_at: StorageU64,
    /// The accumulator's value when this operator was last settled.
    reward_paid: StorageU256,
    /// Emissions settled to this operator and not yet claimed, scaled by
    /// `PRECISION` (the fraction of a wei is kept, not dropped).
    rewards: StorageU256,
    jailed: StorageBool,
}

/// The staking program.
#[entrypoint]
#[storage]
pub struct Staking {
    /// Who deployed the program; written to slot 0 by the init code and
    /// cleared by `initialize`. Must stay the first field.
    deployer: StorageAddress,
    ownable: Ownable,
    pausable: Pausable,
    gene: StorageAddress,
    ledger: StorageAddress,
    arbiter: StorageAddress,
    min_stake: StorageU256,
    unbonding_period: StorageU64,
    dispute_horizon: StorageU64,
    reward_rate: StorageU256,
    slash_bps: StorageU256,
    challenger_bps: StorageU256,
    total_staked: StorageU256,
    total_unbonding: StorageU256,
    /// Emissions minted into this program and not yet claimed.
    emissions_reserve: StorageU256,
    reward_per_token: StorageU256,
    /// Remainder of the last accumulator division, in `PRECISION` units.
    reward_carry: StorageU256,
    last_update: StorageU64,
    operators: StorageMap<Address, Operator>,
}

#[public]
impl Staking {
    /// Binds the program to `gene` (initialised already), sets the roles
    /// and parameters and makes the caller the owner. Only the deployer,
    /// once.
    ///
    /// # Errors
    /// [`NotDeployer`], [`UnbondingTooShort`], [`InvalidSlashShares`],
    /// [`MinStakeTooLow`], [`ZeroRole`] for a zero arbiter,
    /// [`NotGeneMinter`] unless GENE names this program its minter,
    /// [`UnsupportedCap`].
    #[allow(clippy::too_many_arguments)]
    pub fn initialize(
        &mut self,
        gene: Address,
        arbiter: Address,
        min_stake: U256,
        unbonding_period: u64,
        dispute_horizon: u64,
        reward_rate: U256,
        slash_bps: U256,
        challenger_bps: U256,
    ) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || self.deployer.get() != caller {
            return Err(Error::NotDeployer(NotDeployer { caller }).into());
        }
        check_unbonding(unbonding_period, dispute_horizon)?;
        check_slash_shares(slash_bps, challenger_bps)?;
        check_min_stake(min_stake, slash_bps)?;
        check_arbiter(arbiter)?;
        let minter = IGene::new(gene).minter(&*self).map_err(Revert::bubble)?;
        if minter != self.vm().contract_address() {
            return Err(Error::NotGeneMinter(NotGeneMinter { minter }).into());
        }
        // Emissions never exceed the cap, so a cap that fits the scaled
        // accumulator keeps every accrual, payout and carry within 256 bits.
        let cap = IGene::new(gene).cap(&*self).map_err(Revert::bubble)?;
        if cap.checked_mul(PRECISION + U256::from(1)).is_none() {
            return Err(Error::UnsupportedCap(UnsupportedCap { cap }).into());
        }
        self.deployer.set(Address::ZERO);
        self.ownable._transfer_ownership(caller);
        self.gene.set(gene);
        self.arbiter.set(arbiter);
        self.min_stake.set(min_stake);
        self.unbonding_period.set(U64::from(unbonding_period));
        self.dispute_horizon.set(U64::from(dispute_horizon));
        self.reward_rate.set(reward_rate);
        self.slash_bps.set(slash_bps);
        self.challenger_bps.set(challenger_bps);
        self.last_update.set(U64::from(clock::now()));
        log(self.vm(), Initialized { owner: caller, gene });
        Ok(())
    }

    /// Stakes `amount` of the caller's GENE (by allowance). Emits
    /// [`Staked`].
    ///
    /// # Errors
    /// `EnforcedPause`, [`ZeroAmount`], and GENE's allowance and balance
    /// errors.
    pub fn stake(&mut self, amount: U256) -> Result<()> {
        self.pausable.when_not_paused().map_err(Error::from)?;
        nonzero(amount)?;
        let operator = self.vm().msg_sender();
        self.settle(operator)?;
        let stake = add(self.operators.get(operator).stake.get(), amount)?;
        self.operators.setter(operator).stake.set(stake);
        self.total_staked.set(add(self.total_staked.get(), amount)?);
        let this = self.vm().contract_address();
        IGene::new(self.gene.get())
            .transfer_from(&mut *self, operator, this, amount)
            .map_err(Revert::bubble)?;
        log(self.vm(), Staked { operator, amount, stake });
        Ok(())
    }

    /// Moves `amount` of the caller's active stake to unbonding; all its
    /// unbonding stake is released `unbonding_period` seconds from now.
    /// Emits [`UnstakeRequested`].
    ///
    /// # Errors
    /// `EnforcedPause`, [`ZeroAmount`], [`InsufficientStake`].
    pub fn request_unstake(&mut self, amount: U256) -> Result<()> {
        self.pausable.when_not_paused().map_err(Error::from)?;
        nonzero(amount)?;
        let operator = self.vm().msg_sender();
        let stake = self.operators.get(operator).stake.get();
        if amount > stake {
            let e = InsufficientStake { operator, stake, requested: amount };
            return Err(Error::InsufficientStake(e).into());
        }
        self.settle(operator)?;
        let release_at =
            clock::now().saturating_add(self.unbonding_period.get().to());
        let mut op = self.operators.setter(operator);
        let unbonding = add(op.unbonding.get(), amount)?;
        op.stake.set(stake - amount);
        op.unbonding.set(unbonding);
        op.release_at.set(U64::from(release_at));
        self.total_staked.set(sub(self.total_staked.get(), amount)?);
        self.total_unbonding.set(add(self.total_unbonding.get(), amount)?);
        log(
            self.vm(),
            UnstakeRequested {
                operator,
                amount,
                unbonding,
                releaseAt: release_at,
            },
        );
        Ok(())
    }

    /// Pays the caller its unbonded stake. Emits [`Withdrawn`].
    ///
    /// # Errors
    /// `EnforcedPause`, [`OperatorJailed`], [`NothingUnbonding`],
    /// [`StillUnbonding`].
    pub fn withdraw(&mut self) -> Result<U256> {
        self.pausable.when_not_paused().map_err(Error::from)?;
        let operator = self.vm().msg_sender();
        let op = self.operators.get(operator);
        let (amount, release_at) = (op.unbonding.get(), op.release_at.get());
        if op.jailed.get() {
            return Err(
                Error::OperatorJailed(OperatorJailed { operator }).into()
            );
        }
        if amount.is_zero() {
            let e = NothingUnbonding { operator };
            return Err(Error::NothingUnbonding(e).into());
        }
        let now = clock::now();
        let release_at: u64 = release_at.to();
        if now < release_at {
            let e = StillUnbonding { operator, releaseAt: release_at, now };
            return Err(Error::StillUnbonding(e).into());
        }
        self.operators.setter(operator).unbonding.set(U256::ZERO);
        self.total_unbonding.set(sub(self.total_unbonding.get(), amount)?);
        self.pay(operator, amount)?;
        log(self.vm(), Withdrawn { operator, amount });
        Ok(amount)
    }

    /// Pays the caller all the emissions it has earned. Emits
    /// [`EmissionsClaimed`].
    ///
    /// # Errors
    /// `EnforcedPause`, [`NothingToClaim`].
    pub fn claim_emissions(&mut self) -> Result<U256> {
        self.pausable.when_not_paused().map_err(Error::from)?;
        let operator = self.vm().msg_sender();
        self.settle(operator)?;
        let scaled = self.operators.get(operator).rewards.get();
        let amount = scaled / PRECISION;
        if amount.is_zero() {
            let e = NothingToClaim { operator };
            return Err(Error::NothingToClaim(e).into());
        }
        self.operators.setter(operator).rewards.set(scaled % PRECISION);
        self.emissions_reserve.set(sub(self.emissions_reserve.get(), amount)?);
        self.pay(operator, amount)?;
        log(self.vm(), EmissionsClaimed { operator, amount });
        Ok(amount)
    }

    /// Takes `slash_bps` of `operator`'s stake (active first, then
    /// unbonding), pays `challenger_bps` of it to `challenger` (nothing if
    /// zero), burns the rest and jails the operator. Only the ledger or the
    /// arbiter; works while paused. Returns the amount taken. Emits
    /// [`Slashed`].
    ///
    /// # Errors
    /// [`NotSlasher`], [`NothingToSlash`].
    pub fn slash(
        &mut self,
        operator: Address,
        challenger: Address,
    ) -> Result<U256> {
        let slasher = self.vm().msg_sender();
        if slasher.is_zero()
            || (slasher != self.ledger.get() && slasher != self.arbiter.get())
        {
            return Err(
                Error::NotSlasher(NotSlasher { caller: slasher }).into()
            );
        }
        self.settle(operator)?;
        let op = self.operators.get(operator);
        let (stake, unbonding) = (op.stake.get(), op.unbonding.get());
        // A challenger reward paid to this program would be stuck here.
        let challenger = if challenger == self.vm().contract_address() {
            Address::ZERO
        } else {
            challenger
        };
        let bps = U256::from(BPS);
        // slash_bps <= MAX_SLASH_BPS < BPS, so amount <= stake + unbonding.
        let amount =
            mul_div(add(stake, unbonding)?, self.slash_bps.get(), bps)?;
        if amount.is_zero() {
            let e = NothingToSlash { operator };
            return Err(Error::NothingToSlash(e).into());
        }
        let from_stake = amount.min(stake);
        let from_unbonding = amount - from_stake;
        let mut op = self.operators.setter(operator);
        op.stake.set(stake - from_stake);
        op.unbonding.set(sub(unbonding, from_unbonding)?);
        op.jailed.set(true);
        self.total_staked.set(sub(self.total_staked.get(), from_stake)?);
        let total_unbonding = sub(self.total_unbonding.get(), from_unbonding)?;
        self.total_unbonding.set(total_unbonding);

        let reward = if challenger.is_zero() {
            U256::ZERO
        } else {
            mul_div(amount, self.challenger_bps.get(), bps)?
        };
        let burned = amount - reward;
        if !reward.is_zero() {
            self.pay(challenger, reward)?;
        }
        if !burned.is_zero() {
            IGene::new(self.gene.get())
                .burn(&mut *self, burned)
                .map_err(Revert::bubble)?;
        }
        log(
            self.vm(),
            Slashed {
                operator,
                challenger,
                slasher,
                amount,
                fromUnbonding: from_unbonding,
                challengerReward: reward,
                burned,
            },
        );
        Ok(amount)
    }

    /// Releases `operator` from jail. Only the arbiter. Emits
    /// [`Unjailed`].
    ///
    /// # Errors
    /// [`NotArbiter`], [`OperatorNotJailed`].
    pub fn unjail(&mut self, operator: Address) -> Result<()> {
        let arbiter = self.vm().msg_sender();
        if arbiter.is_zero() || arbiter != self.arbiter.get() {
            return Err(
                Error::NotArbiter(NotArbiter { caller: arbiter }).into()
            );
        }
        if !self.operators.get(operator).jailed.get() {
            let e = OperatorNotJailed { operator };
            return Err(Error::OperatorNotJailed(e).into());
        }
        self.operators.setter(operator).jailed.set(false);
        log(self.vm(), Unjailed { operator, arbiter });
        Ok(())
    }

    /// Whether `operator` may answer queries: active stake at or above the
    /// minimum, and not jailed.
    pub fn is_eligible(&self, operator: Address) -> bool {
        let op = self.operators.get(operator);
        !op.jailed.get() && op.stake.get() >= self.min_stake.get()
    }

    /// `operator`'s active stake, unbonding stake, release time of the
    /// unbonding stake, and whether it is jailed.
    pub fn operator_info(&self, operator: Address) -> (U256, U256, u64, bool) {
        let op = self.operators.get(operator);
        (
            op.stake.get(),
            op.unbonding.get(),
            op.release_at.get().to(),
            op.jailed.get(),
        )
    }

    /// Emissions `operator` could claim now, counting time not yet
    /// accrued (assuming the cap leaves room to mint it).
    pub fn pending_emissions(&self, operator: Address) -> Result<U256> {
        let total = self.total_staked.get();
        let mut rpt = self.reward_per_token.get();
        let now = clock::now();
        let last: u64 = self.last_update.get().to();
        if now > last && !total.is_zero() {
            let elapsed = U256::from(now - last);
            let reward = self.reward_rate.get().checked_mul(elapsed);
            let reward = reward.ok_or_else(overflow)?;
            let scaled = add(mul(reward, PRECISION)?, self.reward_carry.get())?;
            rpt = add(rpt, scaled / total)?;
        }
        Ok(self.earned(operator, rpt)? / PRECISION)
    }

    /// Active stake of all operators.
    pub fn total_staked(&self) -> U256 {
        self.total_staked.get()
    }

    /// Unbonding stake of all operators.
    pub fn total_unbonding(&self) -> U256 {
        self.total_unbonding.get()
    }

    /// Emissions minted into this program and not yet claimed.
    pub fn emissions_reserve(&self) -> U256 {
        self.emissions_reserve.get()
    }

    /// The reward-per-token accumulator, scaled by 1e36.
    pub fn reward_per_token(&self) -> U256 {
        self.reward_per_token.get()
    }

    /// The GENE token.
    pub fn gene(&self) -> Address {
        self.gene.get()
    }

    /// The consent ledger, which may slash.
    pub fn ledger(&self) -> Address {
        self.ledger.get()
    }

    /// The arbiter, which may slash and unjail.
    pub fn arbiter(&self) -> Address {
        self.arbiter.get()
    }

    /// Active stake that makes an operator eligible.
    pub fn min_stake(&self) -> U256 {
        self.min_stake.get()
    }

    /// Seconds between an unstake request and its withdrawal.
    pub fn unbonding_period(&self) -> u64 {
        self.unbonding_period.get().to()
    }

    /// Longest challenge plus arbitration window the ledger may use.
    pub fn dispute_horizon(&self) -> u64 {
        self.dispute_horizon.get().to()
    }

    /// GENE emitted per second.
    pub fn reward_rate(&self) -> U256 {
        self.reward_rate.get()
    }

    /// Share of stake one slash takes, and the challenger's share of it,
    /// both in basis points.
    pub fn slash_shares(&self) -> (U256, U256) {
        (self.slash_bps.get(), self.challenger_bps.get())
    }

    /// Sets the minimum stake, which must be large enough that a slash of
    /// an eligible operator takes something. Owner only. Emits
    /// [`ParameterChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`MinStakeTooLow`].
    pub fn set_min_stake(&mut self, min_stake: U256) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        check_min_stake(min_stake, self.slash_bps.get())?;
        let previous = self.min_stake.get();
        self.min_stake.set(min_stake);
        self.changed(key("minStake"), previous, min_stake);
        Ok(())
    }

    /// Sets the unbonding period, which must stay longer than the dispute
    /// horizon. Owner only. Applies to requests made from now on. Emits
    /// [`ParameterChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`UnbondingTooShort`].
    pub fn set_unbonding_period(&mut self, period: u64) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        check_unbonding(period, self.dispute_horizon.get().to())?;
        let previous = self.unbonding_period.get();
        self.unbonding_period.set(U64::from(period));
        self.changed(key("unbondingPeriod"), previous.to(), U256::from(period));
        Ok(())
    }

    /// Sets the dispute horizon, which must stay shorter than the
    /// unbonding period. Owner only. Emits [`ParameterChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`UnbondingTooShort`].
    pub fn set_dispute_horizon(&mut self, horizon: u64) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        check_unbonding(self.unbonding_period.get().to(), horizon)?;
        let previous = self.dispute_horizon.get();
        self.dispute_horizon.set(U64::from(horizon));
        self.changed(key("disputeHorizon"), previous.to(), U256::from(horizon));
        Ok(())
    }

    /// Sets the emission rate, after accruing what the old rate earned.
    /// Owner only. Emits [`ParameterChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, and GENE's errors when minting the
    /// accrued emissions fails.
    pub fn set_reward_rate(&mut self, per_second: U256) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        self.accrue()?;
        let previous = self.reward_rate.get();
        self.reward_rate.set(per_second);
        self.changed(key("rewardRate"), previous, per_second);
        Ok(())
    }

    /// Sets the share of stake a slash takes (at most `MAX_SLASH_BPS`) and
    /// the challenger's share of it. Owner only. Emits two
    /// [`ParameterChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`InvalidSlashShares`],
    /// [`MinStakeTooLow`].
    pub fn set_slash_shares(
        &mut self,
        slash_bps: U256,
        challenger_bps: U256,
    ) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        check_slash_shares(slash_bps, challenger_bps)?;
        check_min_stake(self.min_stake.get(), slash_bps)?;
        let (previous_slash, previous_challenger) = self.slash_shares();
        self.slash_bps.set(slash_bps);
        self.challenger_bps.set(challenger_bps);
        self.changed(key("slashBps"), previous_slash, slash_bps);
        self.changed(key("challengerBps"), previous_challenger, challenger_bps);
        Ok(())
    }

    /// Names the consent ledger, which may slash. Owner only. Emits
    /// [`RoleChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`.
    pub fn set_ledger(&mut self, ledger: Address) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        let previous = self.ledger.get();
        self.ledger.set(ledger);
        let role = key("ledger");
        log(self.vm(), RoleChanged { role, previous, current: ledger });
        Ok(())
    }

    /// Names the arbiter, which may slash and unjail; never zero, or jailed
    /// stake could never leave. Owner only. Emits [`RoleChanged`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`ZeroRole`].
    pub fn set_arbiter(&mut self, arbiter: Address) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        check_arbiter(arbiter)?;
        let previous = self.arbiter.get();
        self.arbiter.set(arbiter);
        let role = key("arbiter");
        log(self.vm(), RoleChanged { role, previous, current: arbiter });
        Ok(())
    }

    /// The owner, which sets parameters and roles.
    pub fn owner(&self) -> Address {
        self.ownable.owner()
    }

    /// Hands ownership to `new_owner`. Owner only. Emits
    /// `OwnershipTransferred`.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, `OwnableInvalidOwner`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<()> {
        Ok(self.ownable.transfer_ownership(new_owner).map_err(Error::from)?)
    }

    /// Leaves the program without an owner, for good. Owner only. Emits
    /// `OwnershipTransferred`.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`.
    pub fn renounce_ownership(&mut self) -> Result<()> {
        Ok(self.ownable.renounce_ownership().map_err(Error::from)?)
    }

    /// Whether the program is paused.
    pub fn paused(&self) -> bool {
        self.pausable.paused()
    }

    /// Stops staking, unstaking, withdrawals and claims (slashing goes
    /// on). Owner only. Emits `Paused`.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, `EnforcedPause`.
    pub fn pause(&mut self) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        Ok(self.pausable.pause().map_err(Error::from)?)
    }

    /// Lifts a pause. Owner only. Emits `Unpaused`.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, `ExpectedPause`.
    pub fn unpause(&mut self) -> Result<()> {
        self.ownable.only_owner().map_err(Error::from)?;
        Ok(self.pausable.unpause().map_err(Error::from)?)
    }
}

impl Staking {
    /// Mints the emissions accrued since the last update into the reserve
    /// and moves the accumulator. Nothing accrues while nothing is staked.
    /// Once the cap leaves less room than what accrued, mints what fits.
    fn accrue(&mut self) -> Result<()> {
        let now = clock::now();
        let last: u64 = self.last_update.get().to();
        if now <= last {
            return Ok(());
        }
        self.last_update.set(U64::from(now));
        let total = self.total_staked.get();
        let rate = self.reward_rate.get();
        if total.is_zero() || rate.is_zero() {
            return Ok(());
        }
        // Saturating: what cannot be minted under the cap is clamped next.
        let reward = rate.saturating_mul(U256::from(now - last));
        let reward = self.mint_emissions(reward)?;
        if reward.is_zero() {
            return Ok(());
        }
        let scaled = add(mul(reward, PRECISION)?, self.reward_carry.get())?;
        let rpt = add(self.reward_per_token.get(), scaled / total)?;
        self.reward_per_token.set(rpt);
        self.reward_carry.set(scaled % total);
        self.emissions_reserve.set(add(self.emissions_reserve.get(), reward)?);
        log(self.vm(), EmissionsMinted { amount: reward, rewardPerToken: rpt });
        Ok(())
    }

    /// Mints up to `wanted` into this program and returns what was minted:
    /// all of it, or what the cap still allows.
    fn mint_emissions(&mut self, wanted: U256) -> Result<U256> {
        let gene = IGene::new(self.gene.get());
        let this = self.vm().contract_address();
        if gene.mint(&mut *self, this, wanted).is_ok() {
            return Ok(wanted);
        }
        // Cap reached, most likely: mint what is left under it, and let
        // any other failure surface as GENE's own error.
        let cap = gene.cap(&*self).map_err(Revert::bubble)?;
        let supply = gene.total_supply(&*self).map_err(Revert::bubble)?;
        let room = cap.saturating_sub(supply).min(wanted);
        if !room.is_zero() {
            gene.mint(&mut *self, this, room).map_err(Revert::bubble)?;
        }
        Ok(room)
    }

    /// Accrues, then credits `operator` with what its stake earned since it
    /// was last settled.
    fn settle(&mut self, operator: Address) -> Result<()> {
        self.accrue()?;
        let rpt = self.reward_per_token.get();
        let earned = self.earned(operator, rpt)?;
        let mut op = self.operators.setter(operator);
        op.rewards.set(earned);
        op.reward_paid.set(rpt);
        Ok(())
    }

    /// `operator`'s settled rewards plus what its stake earned up to the
    /// accumulator value `rpt`, both scaled by `PRECISION`.
    fn earned(&self, operator: Address, rpt: U256) -> Result<U256, Error> {
        let op = self.operators.get(operator);
        let delta = sub(rpt, op.reward_paid.get())?;
        add(op.rewards.get(), mul(op.stake.get(), delta)?)
    }

    fn pay(&mut self, to: Address, amount: U256) -> Result<()> {
        IGene::new(self.gene.get())
            .transfer(&mut *self, to, amount)
            .map_err(Revert::bubble)?;
        Ok(())
    }

    fn changed(&self, name: B256, previous: U256, current: U256) {
        log(self.vm(), ParameterChanged { name, previous, current });
    }

    /// Test-only: stands in for the deployment's init code, which records
    /// the deployer in slot 0 on chain.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn deployed_by(&mut self, deployer: Address) {
        self.deployer.set(deployer);
    }
}

fn nonzero(amount: U256) -> Result<(), Error> {
    if amount.is_zero() {
        return Err(Error::ZeroAmount(ZeroAmount {}));
    }
    Ok(())
}

fn check_unbonding(unbonding: u64, horizon: u64) -> Result<(), Error> {
    if unbonding <= horizon || unbonding > MAX_UNBONDING {
        let e = UnbondingTooShort {
            unbondingPeriod: unbonding,
            disputeHorizon: horizon,
        };
        return Err(Error::UnbondingTooShort(e));
    }
    Ok(())
}

fn check_arbiter(arbiter: Address) -> Result<(), Error> {
    if arbiter.is_zero() {
        return Err(Error::ZeroRole(ZeroRole { role: key("arbiter") }));
    }
    Ok(())
}

/// An eligible operator must lose at least one wei to a slash.
fn check_min_stake(min_stake: U256, slash_bps: U256) -> Result<(), Error> {
    let taken = min_stake.saturating_mul(slash_bps) / U256::from(BPS);
    if taken.is_zero() {
        let e = MinStakeTooLow { minStake: min_stake, slashBps: slash_bps };
        return Err(Error::MinStakeTooLow(e));
    }
    Ok(())
}

fn check_slash_shares(slash: U256, challenger: U256) -> Result<(), Error> {
    if slash.is_zero()
        || slash > U256::from(MAX_SLASH_BPS)
        || challenger > U256::from(BPS)
    {
        let e =
            InvalidSlashShares { slashBps: slash, challengerBps: challenger };
        return Err(Error::InvalidSlashShares(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
