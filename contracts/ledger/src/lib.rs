//! The consent ledger of Strand: who may compute on whose genome, what
//! researchers escrowed for it, and what owners who said yes are owed.
//!
//! Lifecycle of a query: a researcher submits it and escrows the whole
//! obligation (rewards for the most consents it pays for, the operator's
//! fee and the protocol's fee). Owners of datasets held by the query's
//! operator approve, deny or revoke until the result is posted. After the
//! consent deadline and before the result deadline the operator posts a
//! commitment to the answer and the number of consents used, with the
//! answer encrypted to the researcher. Anyone may challenge within the
//! challenge window, with a bond; the arbiter upholds (operator slashed,
//! researcher refunded) or rejects (bond to the operator) within the
//! arbitration window. An unchallenged or rejected query finalises after
//! the challenge window: fees are paid, unused rewards go back to the
//! researcher, and each owner whose consent was used pulls its reward. A
//! query with no result by its result deadline is reclaimed in full.
//!
//! No function loops over a set that grows with use: a claim loops over
//! the pairs its caller passes, nothing else loops at all.
//!
//! Datasets live in a registry program of their own (`strand-datasets`),
//! which the ledger reads when an owner decides and when it claims. A
//! deactivated dataset is withdrawn from every query not yet answered
//! without visiting them: its approvals on those queries are never paid (a
//! claim needs the dataset active when the result was posted), and the
//! operator must leave it out of the answer and the count.
//!
//! Size: 23.6 KB compressed of Stylus's 24 KiB. What it costs, measured by
//! taking pieces out: `submit_query` 5.9 KB (14 arguments, the permit and
//! the largest event), disputes and settlement 3.4 KB, the SDK's router and
//! ABI decoding for the 22 entry points most of the rest. Should it grow,
//! the seam is settlement (challenge, resolve, finalize, claim) moving to a
//! program of its own that receives each answered query's escrow.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// The SDK's generated `user_entrypoint` export carries no doc comment.
#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]
// The free functions `msg::sender`, `contract::address` and `evm::log` are
// deprecated in favour of `self.vm()`, but that goes through a `dyn Host`
// whose vtable keeps every host function in the binary: about 800 bytes
// compressed that the ledger cannot spare under the 24 KiB limit.
#![allow(deprecated)]
extern crate alloc;

use alloc::{string::String, vec::Vec};

use alloy_primitives::{Address, B256, U256, U32, U64, U8};
use alloy_sol_types::sol;
use strand_common::{clock, key, IDatasets, IGene, IStaking, Revert, BPS};
use stylus_sdk::{
    abi::Bytes,
    contract, evm, msg,
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU256, StorageU32,
        StorageU64, StorageU8,
    },
};

// Events and errors live in `abi.sol`, which the exported ABI repeats with
// parameter names (the SDK's export lists neither events nor those names).
sol!(#![sol(all_derives)] "src/abi.sol");

/// Query states, as stored and as reported in `WrongQueryState`.
pub mod state {
    /// Taking consent; no result yet.
    pub const OPEN: u8 = 1;
    /// Result posted; challenge window running.
    pub const ANSWERED: u8 = 2;
    /// Under dispute.
    pub const DISPUTED: u8 = 3;
    /// Finalised: owners may claim.
    pub const FINALIZED: u8 = 4;
    /// Dispute upheld: researcher refunded.
    pub const REFUNDED: u8 = 5;
    /// No result in time: researcher took the escrow back.
    pub const RECLAIMED: u8 = 6;
}

/// Consent decisions, as stored and as emitted in `ConsentDecided`.
pub mod decision {
    /// The owner approved.
    pub const APPROVE: u8 = 1;
    /// The owner denied.
    pub const DENY: u8 = 2;
    /// The owner revoked an approval.
    pub const REVOKE: u8 = 3;
}

/// The operator's and the protocol's fee together stay under half of the
/// rewards.
pub const MAX_FEES_BPS: u16 = 5_000;
/// Longest purpose code accepted, in bytes.
const MAX_PURPOSE_LEN: usize = 64;

/// Every way a ledger call can fail on its own account (calls into GENE or
/// staking that fail pass their error through unchanged).
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`NotDeployer`].
    NotDeployer(NotDeployer),
    /// See [`UnknownDataset`].
    UnknownDataset(UnknownDataset),
    /// See [`UnknownQuery`].
    UnknownQuery(UnknownQuery),
    /// See [`NotDatasetOwner`].
    NotDatasetOwner(NotDatasetOwner),
    /// See [`DatasetInactive`].
    DatasetInactive(DatasetInactive),
    /// See [`WrongOperator`].
    WrongOperator(WrongOperator),
    /// See [`OperatorNotEligible`].
    OperatorNotEligible(OperatorNotEligible),
    /// See [`SpecHashMismatch`].
    SpecHashMismatch(SpecHashMismatch),
    /// See [`InvalidPurpose`].
    InvalidPurpose(InvalidPurpose),
    /// See [`InvalidConsentBounds`].
    InvalidConsentBounds(InvalidConsentBounds),
    /// See [`InvalidDeadlines`].
    InvalidDeadlines(InvalidDeadlines),
    /// See [`DustQuery`].
    DustQuery(DustQuery),
    /// See [`WrongQueryState`].
    WrongQueryState(WrongQueryState),
    /// See [`QueryFull`].
    QueryFull(QueryFull),
    /// See [`NotApproved`].
    NotApproved(NotApproved),
    /// See [`NotQueryOperator`].
    NotQueryOperator(NotQueryOperator),
    /// See [`NotArbiter`].
    NotArbiter(NotArbiter),
    /// See [`OutsideWindow`].
    OutsideWindow(OutsideWindow),
    /// See [`InvalidConsentCount`].
    InvalidConsentCount(InvalidConsentCount),
    /// See [`AlreadyClaimed`].
    AlreadyClaimed(AlreadyClaimed),
    /// See [`RewardsExhausted`].
    RewardsExhausted(RewardsExhausted),
    /// See [`LengthMismatch`].
    LengthMismatch(LengthMismatch),
    /// See [`InvalidParameter`].
    InvalidParameter(InvalidParameter),
    /// See [`ArithmeticOverflow`].
    ArithmeticOverflow(ArithmeticOverflow),
    /// See [`OwnableUnauthorizedAccount`].
    UnauthorizedAccount(OwnableUnauthorizedAccount),
    /// See [`OwnableInvalidOwner`].
    InvalidOwner(OwnableInvalidOwner),
}

type Result<T, E = Revert<Error>> = core::result::Result<T, E>;

fn overflow() -> Error {
    Error::ArithmeticOverflow(ArithmeticOverflow {})
}

fn add(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_add(b).ok_or_else(overflow)
}

fn mul(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_mul(b).ok_or_else(overflow)
}

fn sub(a: U256, b: U256) -> Result<U256, Error> {
    a.checked_sub(b).ok_or_else(overflow)
}

/// `bps` basis points of `amount`, rounded down.
fn share(amount: U256, bps: U256) -> Result<U256, Error> {
    Ok(div_small(mul(amount, bps)?, u32::from(BPS)))
}

/// `x / d` by long division over 32-bit digits. ruint's general division
/// costs the program 2 KB; a divisor that fits in 32 bits needs only the
/// machine's 64-bit division.
fn div_small(x: U256, d: u32) -> U256 {
    let mut limbs = x.into_limbs();
    let d = u64::from(d);
    let mut rem = 0u64;
    for limb in limbs.iter_mut().rev() {
        let hi = (rem << 32) | (*limb >> 32);
        let (q_hi, r_hi) = (hi / d, hi % d);
        let lo = (r_hi << 32) | (*limb & 0xffff_ffff);
        let (q_lo, r_lo) = (lo / d, lo % d);
        *limb = (q_hi << 32) | q_lo;
        rem = r_lo;
    }
    U256::from_limbs(limbs)
}

/// A query and everything escrowed for it.
#[storage]
pub struct Query {
    researcher: StorageAddress,
    operator: StorageAddress,
    reward: StorageU256,
    max_consents: StorageU32,
    min_consents: StorageU32,
    approvals: StorageU32,
    consents_used: StorageU32,
    claims: StorageU32,
    state: StorageU8,
    consent_deadline: StorageU64,
    result_deadline: StorageU64,
    answered_at: StorageU64,
    challenge_deadline: StorageU64,
    dispute_deadline: StorageU64,
    challenged: StorageBool,
    /// Rewards, fees and refund still held before the query settles.
    escrow: StorageU256,
    operator_fee: StorageU256,
    protocol_fee: StorageU256,
    /// Rewards of used consents not yet claimed, after finalisation.
    pool: StorageU256,
    challenger: StorageAddress,
    bond: StorageU256,
}

/// One dataset's consent to one query.
#[storage]
pub struct Consent {
    decision: StorageU8,
    claimed: StorageBool,
}

/// The consent ledger program.
#[entrypoint]
#[storage]
pub struct Ledger {
    /// Who deployed the program; written to slot 0 by the init code and
    /// cleared by `initialize`. Must stay the first field.
    deployer: StorageAddress,
    /// Sets roles and parameters. OpenZeppelin's `Ownable` would do, but
    /// its crate turns on alloy's WASM keccak in place of the host's, which
    /// costs the ledger 1.6 KB; the same events and errors are kept here.
    owner: StorageAddress,
    gene: StorageAddress,
    staking: StorageAddress,
    datasets: StorageAddress,
    arbiter: StorageAddress,
    treasury: StorageAddress,
    operator_fee_bps: StorageU256,
    protocol_fee_bps: StorageU256,
    min_escrow: StorageU256,
    challenge_bond: StorageU256,
    challenge_window: StorageU64,
    arbitration_window: StorageU64,
    query_count: StorageU64,
    queries: StorageMap<u64, Query>,
    /// Keyed by `query << 64 | dataset`.
    consents: StorageMap<U256, Consent>,
}

fn consent_key(query: u64, dataset: u64) -> U256 {
    (U256::from(query) << 64) | U256::from(dataset)
}

fn u32_of(v: U32) -> u32 {
    v.to()
}

fn u64_of(v: U64) -> u64 {
    v.to()
}

#[public]
impl Ledger {
    /// Binds the ledger to GENE, staking and the dataset registry, makes
    /// the caller the owner and applies [`Ledger::configure`]. Only the
    /// deployer, once. Emits [`Initialized`] and [`Configured`].
    ///
    /// # Errors
    /// [`NotDeployer`], and those of [`Ledger::configure`].
    #[allow(clippy::too_many_arguments)]
    pub fn initialize(
        &mut self,
        gene: Address,
        staking: Address,
        datasets: Address,
        arbiter: Address,
        treasury: Address,
        operator_fee_bps: U256,
        protocol_fee_bps: U256,
        min_escrow: U256,
        challenge_bond: U256,
        challenge_window: u64,
        arbitration_window: u64,
    ) -> Result<()> {
        let caller = msg::sender();
        if caller.is_zero() || self.deployer.get() != caller {
            return Err(Error::NotDeployer(NotDeployer { caller }).into());
        }
        self.deployer.set(Address::ZERO);
        self.set_owner(caller);
        self.gene.set(gene);
        self.staking.set(staking);
        self.datasets.set(datasets);
        evm::log(Initialized { owner: caller, gene, staking, datasets });
        self.configure(
            arbiter,
            treasury,
            operator_fee_bps,
            protocol_fee_bps,
            min_escrow,
            challenge_bond,
            challenge_window,
            arbitration_window,
        )
    }

    /// Submits a query and escrows its whole obligation (rewards for
    /// `max_consents`, plus the operator's and the protocol's fees) from the
    /// caller. Returns its id. Emits [`QuerySubmitted`].
    ///
    /// The escrow moves by allowance. With `permit_v` non-zero, the call
    /// first applies the caller's EIP-2612 permit (`permit_deadline`,
    /// `permit_v`, `permit_r`, `permit_s`) for exactly the escrow, so a
    /// query is funded in one transaction; a permit that fails because it
    /// was already used (front-run) does not fail the call when the
    /// allowance is there.
    ///
    /// # Errors
    /// [`SpecHashMismatch`], [`InvalidPurpose`], [`InvalidConsentBounds`],
    /// [`InvalidDeadlines`], [`OperatorNotEligible`], [`DustQuery`], and
    /// GENE's permit, allowance and balance errors.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_query(
        &mut self,
        spec_hash: B256,
        spec: Bytes,
        purpose: String,
        operator: Address,
        reward_per_consent: U256,
        max_consents: u32,
        min_consents: u32,
        consent_deadline: u64,
        result_deadline: u64,
        researcher_key: Bytes,
        permit_deadline: U256,
        permit_v: u8,
        permit_r: B256,
        permit_s: B256,
    ) -> Result<u64> {
        let terms = Terms {
            spec_hash,
            operator,
            reward: reward_per_consent,
            max_consents,
            min_consents,
            consent_deadline,
            result_deadline,
        };
        let (id, escrow) = self.open_query(&terms, &spec, &purpose)?;
        let researcher = msg::sender();
        if permit_v != 0 {
            let this = contract::address();
            let gene = IGene::new(self.gene.get());
            let permitted = gene.permit(
                &mut *self,
                researcher,
                this,
                escrow,
                permit_deadline,
                permit_v,
                permit_r,
                permit_s,
            );
            if let Err(e) = permitted {
                let allowance = gene
                    .allowance(&*self, researcher, this)
                    .map_err(Revert::bubble)?;
                if allowance < escrow {
                    return Err(Revert::bubble(e));
                }
            }
        }
        self.pull(researcher, escrow)?;
        self.announce(id, &terms, spec, purpose, researcher_key);
        Ok(id)
    }

    /// The caller, owner of `dataset`, approves `query`. Emits
    /// [`ConsentDecided`].
    ///
    /// # Errors
    /// [`UnknownQuery`], [`UnknownDataset`], [`NotDatasetOwner`],
    /// [`DatasetInactive`], [`WrongOperator`], [`WrongQueryState`] once the
    /// result is posted, [`QueryFull`].
    pub fn approve(&mut self, query: u64, dataset: u64) -> Result<()> {
        self.decide(query, dataset, decision::APPROVE)
    }

    /// The caller, owner of `dataset`, denies `query` (withdrawing an
    /// approval if it gave one). Emits [`ConsentDecided`].
    ///
    /// # Errors
    /// As [`Ledger::approve`], less [`QueryFull`].
    pub fn deny(&mut self, query: u64, dataset: u64) -> Result<()> {
        self.decide(query, dataset, decision::DENY)
    }

    /// The caller, owner of `dataset`, revokes its approval of `query`.
    /// Emits [`ConsentDecided`].
    ///
    /// # Errors
    /// As [`Ledger::deny`], and [`NotApproved`] without an approval.
    pub fn revoke(&mut self, query: u64, dataset: u64) -> Result<()> {
        self.decide(query, dataset, decision::REVOKE)
    }

    /// The query's operator posts a commitment to the answer, the number
    /// of consents used and the answer encrypted to the researcher. Opens
    /// the challenge window. Emits [`ResultPosted`].
    ///
    /// # Errors
    /// [`UnknownQuery`], [`NotQueryOperator`], [`WrongQueryState`],
    /// [`OutsideWindow`] before the consent deadline or after the result
    /// deadline, [`OperatorNotEligible`] (unbonding or jailed),
    /// [`InvalidConsentCount`].
    pub fn post_result(
        &mut self,
        query: u64,
        commitment: B256,
        consents_used: u32,
        encrypted_answer: Bytes,
    ) -> Result<()> {
        self.query_in(query, state::OPEN)?;
        let caller = msg::sender();
        let q = self.queries.get(query);
        if caller != q.operator.get() {
            let e = NotQueryOperator { query, caller };
            return Err(Error::NotQueryOperator(e).into());
        }
        let now = clock::now();
        let opens = u64_of(q.consent_deadline.get());
        let closes = u64_of(q.result_deadline.get());
        if now < opens || now > closes {
            let e = OutsideWindow { query, opens, closes, now };
            return Err(Error::OutsideWindow(e).into());
        }
        // Eligible again now: an operator that began unbonding after the
        // submission could otherwise withdraw inside the challenge window.
        let eligible = IStaking::new(self.staking.get())
            .is_eligible(&*self, caller)
            .map_err(Revert::bubble)?;
        if !eligible {
            let e = OperatorNotEligible { operator: caller };
            return Err(Error::OperatorNotEligible(e).into());
        }
        let min = u32_of(q.min_consents.get());
        let approvals = u32_of(q.approvals.get());
        if consents_used < min || consents_used > approvals {
            let e = InvalidConsentCount {
                query,
                consentsUsed: consents_used,
                minConsents: min,
                approvals,
            };
            return Err(Error::InvalidConsentCount(e).into());
        }
        let challenge_deadline =
            now.saturating_add(u64_of(self.challenge_window.get()));
        let mut q = self.queries.setter(query);
        q.state.set(U8::from(state::ANSWERED));
        q.consents_used.set(U32::from(consents_used));
        q.answered_at.set(U64::from(now));
        q.challenge_deadline.set(U64::from(challenge_deadline));
        evm::log(ResultPosted {
            query,
            operator: caller,
            commitment,
            consentsUsed: consents_used,
            encryptedAnswer: encrypted_answer.0.into(),
            challengeDeadline: challenge_deadline,
        });
        Ok(())
    }

    /// Disputes `query`'s result, posting the challenge bond from the
    /// caller by allowance. One dispute per query. Emits [`Challenged`].
    ///
    /// # Errors
    /// [`UnknownQuery`], [`WrongQueryState`] (also for a query disputed
    /// once already), [`OutsideWindow`] after the challenge window, and
    /// GENE's allowance and balance errors.
    pub fn challenge(&mut self, query: u64) -> Result<()> {
        self.query_in(query, state::ANSWERED)?;
        let q = self.queries.get(query);
        if q.challenged.get() {
            let e = WrongQueryState { query, state: state::ANSWERED };
            return Err(Error::WrongQueryState(e).into());
        }
        let now = clock::now();
        let opens = u64_of(q.answered_at.get());
        let closes = u64_of(q.challenge_deadline.get());
        if now >= closes {
            let e = OutsideWindow { query, opens, closes, now };
            return Err(Error::OutsideWindow(e).into());
        }
        let challenger = msg::sender();
        let bond = self.challenge_bond.get();
        let deadline =
            now.saturating_add(u64_of(self.arbitration_window.get()));
        let mut q = self.queries.setter(query);
        q.state.set(U8::from(state::DISPUTED));
        q.challenged.set(true);
        q.challenger.set(challenger);
        q.bond.set(bond);
        q.dispute_deadline.set(U64::from(deadline));
        self.pull(challenger, bond)?;
        evm::log(Challenged {
            query,
            challenger,
            bond,
            arbitrationDeadline: deadline,
        });
        Ok(())
    }

    /// The arbiter judges `query`'s dispute. Upheld: the operator is slashed
    /// (the challenger gets the slash reward and its bond back) and the
    /// researcher gets the whole escrow back. Rejected: the bond goes to
    /// the operator and the query finalises as if unchallenged. Emits
    /// [`DisputeResolved`].
    ///
    /// # Errors
    /// [`NotArbiter`], [`UnknownQuery`], [`WrongQueryState`],
    /// [`OutsideWindow`] after the arbitration deadline, and the staking
    /// program's errors.
    pub fn resolve(&mut self, query: u64, uphold: bool) -> Result<()> {
        let arbiter = msg::sender();
        if arbiter.is_zero() || arbiter != self.arbiter.get() {
            return Err(
                Error::NotArbiter(NotArbiter { caller: arbiter }).into()
            );
        }
        self.query_in(query, state::DISPUTED)?;
        let q = self.queries.get(query);
        let now = clock::now();
        let closes = u64_of(q.dispute_deadline.get());
        if now > closes {
            let opens = u64_of(q.answered_at.get());
            let e = OutsideWindow { query, opens, closes, now };
            return Err(Error::OutsideWindow(e).into());
        }
        let (operator, challenger) = (q.operator.get(), q.challenger.get());
        let (bond, escrow) = (q.bond.get(), q.escrow.get());
        let researcher = q.researcher.get();
        let mut q = self.queries.setter(query);
        q.bond.set(U256::ZERO);
        let (slashed, refund) = if uphold {
            q.state.set(U8::from(state::REFUNDED));
            q.escrow.set(U256::ZERO);
            let slashed = IStaking::new(self.staking.get())
                .slash(&mut *self, operator, challenger)
                .map_err(Revert::bubble)?;
            self.pay(challenger, bond)?;
            self.pay(researcher, escrow)?;
            (slashed, escrow)
        } else {
            q.state.set(U8::from(state::ANSWERED));
            self.pay(operator, bond)?;
            (U256::ZERO, U256::ZERO)
        };
        evm::log(DisputeResolved {
            query,
            arbiter,
            upheld: uphold,
            slashed,
            refund,
        });
        Ok(())
    }

    /// Settles `query` once its challenge window has closed without an open
    /// dispute (or its dispute lapsed unjudged, when the bond goes back):
    /// pays the fees, refunds unused rewards to the researcher and leaves
    /// the used consents' rewards for their owners to claim. Anyone may
    /// call it. Emits [`QueryFinalized`] (and [`DisputeLapsed`]).
    ///
    /// # Errors
    /// [`UnknownQuery`], [`WrongQueryState`], [`OutsideWindow`] before the
    /// challenge window (or the arbitration window) has closed.
    pub fn finalize(&mut self, query: u64) -> Result<()> {
        let current = self.query_state(query)?;
        let q = self.queries.get(query);
        let now = clock::now();
        let opens = u64_of(q.answered_at.get());
        let closes = match current {
            state::ANSWERED => u64_of(q.challenge_deadline.get()),
            state::DISPUTED => {
                u64_of(q.dispute_deadline.get()).saturating_add(1)
            }
            _ => {
                let e = WrongQueryState { query, state: current };
                return Err(Error::WrongQueryState(e).into());
            }
        };
        if now < closes {
            let e = OutsideWindow { query, opens, closes, now };
            return Err(Error::OutsideWindow(e).into());
        }
        if current == state::DISPUTED {
            let (challenger, bond) = (q.challenger.get(), q.bond.get());
            self.queries.setter(query).bond.set(U256::ZERO);
            self.pay(challenger, bond)?;
            evm::log(DisputeLapsed { query, challenger, bond });
        }
        let q = self.queries.get(query);
        let used = U256::from(u32_of(q.consents_used.get()));
        let unused = U256::from(
            u32_of(q.max_consents.get()) - u32_of(q.consents_used.get()),
        );
        let pool = mul(q.reward.get(), used)?;
        let refund = mul(q.reward.get(), unused)?;
        let (operator_fee, protocol_fee) =
            (q.operator_fee.get(), q.protocol_fee.get());
        let (operator, researcher) = (q.operator.get(), q.researcher.get());
        let mut q = self.queries.setter(query);
        q.state.set(U8::from(state::FINALIZED));
        q.escrow.set(U256::ZERO);
        q.pool.set(pool);
        self.pay(operator, operator_fee)?;
        self.pay(self.treasury.get(), protocol_fee)?;
        self.pay(researcher, refund)?;
        let by = msg::sender();
        evm::log(QueryFinalized {
            query,
            by,
            ownersPool: pool,
            operatorFee: operator_fee,
            protocolFee: protocol_fee,
            refund,
        });
        Ok(())
    }

    /// Gives the researcher its whole escrow back for a query that got no
    /// result by its result deadline. Anyone may call it. Emits
    /// [`QueryReclaimed`].
    ///
    /// # Errors
    /// [`UnknownQuery`], [`WrongQueryState`], [`OutsideWindow`] until the
    /// result deadline has passed.
    pub fn reclaim(&mut self, query: u64) -> Result<()> {
        self.query_in(query, state::OPEN)?;
        let q = self.queries.get(query);
        let now = clock::now();
        let opens = u64_of(q.result_deadline.get()).saturating_add(1);
        if now < opens {
            let e = OutsideWindow { query, opens, closes: u64::MAX, now };
            return Err(Error::OutsideWindow(e).into());
        }
        let (researcher, amount) = (q.researcher.get(), q.escrow.get());
        let mut q = self.queries.setter(query);
        q.state.set(U8::from(state::RECLAIMED));
        q.escrow.set(U256::ZERO);
        self.pay(researcher, amount)?;
        evm::log(QueryReclaimed { query, researcher, amount });
        Ok(())
    }

    /// Pays the caller the rewards of its used consents: one
    /// `(queries[i], datasets[i])` pair each, never twice. Returns the
    /// total. Emits one [`RewardClaimed`] per pair.
    ///
    /// # Errors
    /// [`LengthMismatch`], and per pair [`UnknownQuery`],
    /// [`UnknownDataset`], [`NotDatasetOwner`], [`WrongQueryState`] before
    /// finalisation, [`NotApproved`] (also for a dataset deactivated before
    /// the result), [`AlreadyClaimed`], [`RewardsExhausted`].
    pub fn claim(
        &mut self,
        queries: Vec<u64>,
        datasets: Vec<u64>,
    ) -> Result<U256> {
        if queries.len() != datasets.len() {
            let e = LengthMismatch {
                queries: U256::from(queries.len()),
                datasets: U256::from(datasets.len()),
            };
            return Err(Error::LengthMismatch(e).into());
        }
        let owner = msg::sender();
        let mut total = U256::ZERO;
        for (&query, &dataset) in queries.iter().zip(&datasets) {
            let amount = self.claim_one(owner, query, dataset)?;
            total = add(total, amount)?;
            evm::log(RewardClaimed { query, dataset, owner, amount });
        }
        self.pay(owner, total)?;
        Ok(total)
    }

    /// Query `id`: researcher, operator, state, reward per consent,
    /// approvals, consents used, escrow held, and owners' pool left.
    #[allow(clippy::type_complexity)]
    pub fn query(
        &self,
        id: u64,
    ) -> (Address, Address, u8, U256, u32, u32, U256, U256) {
        let q = self.queries.get(id);
        (
            q.researcher.get(),
            q.operator.get(),
            q.state.get().to(),
            q.reward.get(),
            u32_of(q.approvals.get()),
            u32_of(q.consents_used.get()),
            q.escrow.get(),
            q.pool.get(),
        )
    }

    /// The decision (0 none, 1 approve, 2 deny, 3 revoke) of `dataset` on
    /// `query`, and whether its reward was claimed.
    pub fn consent(&self, query: u64, dataset: u64) -> (u8, bool) {
        let c = self.consents.get(consent_key(query, dataset));
        (c.decision.get().to(), c.claimed.get())
    }

    /// Queries submitted so far (ids run from 1).
    pub fn query_count(&self) -> u64 {
        u64_of(self.query_count.get())
    }

    /// GENE, staking, dataset registry, arbiter and treasury addresses.
    pub fn roles(&self) -> (Address, Address, Address, Address, Address) {
        (
            self.gene.get(),
            self.staking.get(),
            self.datasets.get(),
            self.arbiter.get(),
            self.treasury.get(),
        )
    }

    /// Operator fee and protocol fee (bps of rewards), minimum escrow,
    /// challenge bond, challenge window and arbitration window (seconds).
    pub fn parameters(&self) -> (U256, U256, U256, U256, u64, u64) {
        (
            self.operator_fee_bps.get(),
            self.protocol_fee_bps.get(),
            self.min_escrow.get(),
            self.challenge_bond.get(),
            u64_of(self.challenge_window.get()),
            u64_of(self.arbitration_window.get()),
        )
    }

    /// The owner, which sets parameters and roles.
    pub fn owner(&self) -> Address {
        self.owner.get()
    }

    /// Hands ownership to `new_owner`. Owner only.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, `OwnableInvalidOwner`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<()> {
        self.only_owner()?;
        if new_owner.is_zero() {
            let e = OwnableInvalidOwner { owner: new_owner };
            return Err(Error::InvalidOwner(e).into());
        }
        self.set_owner(new_owner);
        Ok(())
    }

    /// Sets the arbiter, the treasury (protocol fees go there), both fees
    /// in basis points of the rewards (together at most `MAX_FEES_BPS`),
    /// the smallest escrow a query may have, the challenge bond, and the
    /// challenge and arbitration windows, which together must fit in the
    /// staking program's dispute horizon so that no operator can withdraw
    /// before a dispute against it is judged. Fees and windows apply to
    /// queries submitted or answered later. Owner only. Emits
    /// [`Configured`].
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`InvalidParameter`], and the staking
    /// program's errors.
    #[allow(clippy::too_many_arguments)]
    pub fn configure(
        &mut self,
        arbiter: Address,
        treasury: Address,
        operator_fee_bps: U256,
        protocol_fee_bps: U256,
        min_escrow: U256,
        challenge_bond: U256,
        challenge_window: u64,
        arbitration_window: u64,
    ) -> Result<()> {
        self.only_owner()?;
        let fees = operator_fee_bps.saturating_add(protocol_fee_bps);
        if fees > U256::from(MAX_FEES_BPS) {
            let e = InvalidParameter { name: key("fees"), value: fees };
            return Err(Error::InvalidParameter(e).into());
        }
        let horizon = IStaking::new(self.staking.get())
            .dispute_horizon(&*self)
            .map_err(Revert::bubble)?;
        let windows = challenge_window.checked_add(arbitration_window);
        if challenge_window == 0 || windows.is_none_or(|w| w > horizon) {
            let value =
                U256::from(challenge_window) + U256::from(arbitration_window);
            let e = InvalidParameter { name: key("windows"), value };
            return Err(Error::InvalidParameter(e).into());
        }
        self.arbiter.set(arbiter);
        self.treasury.set(treasury);
        self.operator_fee_bps.set(operator_fee_bps);
        self.protocol_fee_bps.set(protocol_fee_bps);
        self.min_escrow.set(min_escrow);
        self.challenge_bond.set(challenge_bond);
        self.challenge_window.set(U64::from(challenge_window));
        self.arbitration_window.set(U64::from(arbitration_window));
        evm::log(Configured {
            arbiter,
            treasury,
            operatorFeeBps: operator_fee_bps,
            protocolFeeBps: protocol_fee_bps,
            minEscrow: min_escrow,
            challengeBond: challenge_bond,
            challengeWindow: challenge_window,
            arbitrationWindow: arbitration_window,
        });
        Ok(())
    }
}

/// What a researcher asks for, checked before anything is stored.
struct Terms {
    spec_hash: B256,
    operator: Address,
    reward: U256,
    max_consents: u32,
    min_consents: u32,
    consent_deadline: u64,
    result_deadline: u64,
}

impl Ledger {
    /// Checks `terms`, stores the query and returns its id and the escrow
    /// to pull.
    fn open_query(
        &mut self,
        terms: &Terms,
        spec: &[u8],
        purpose: &str,
    ) -> Result<(u64, U256)> {
        // The host's keccak: alloy's would link a WASM keccak (1 KB).
        let actual = stylus_sdk::crypto::keccak(spec);
        if actual != terms.spec_hash {
            let e = SpecHashMismatch { specHash: terms.spec_hash, actual };
            return Err(Error::SpecHashMismatch(e).into());
        }
        if !is_duo_code(purpose) {
            let e = InvalidPurpose { purpose: purpose.into() };
            return Err(Error::InvalidPurpose(e).into());
        }
        let (min, max) = (terms.min_consents, terms.max_consents);
        if min == 0 || min > max {
            let e = InvalidConsentBounds { minConsents: min, maxConsents: max };
            return Err(Error::InvalidConsentBounds(e).into());
        }
        let now = clock::now();
        let (cd, rd) = (terms.consent_deadline, terms.result_deadline);
        if now >= cd || cd >= rd {
            let e = InvalidDeadlines {
                consentDeadline: cd,
                resultDeadline: rd,
                now,
            };
            return Err(Error::InvalidDeadlines(e).into());
        }
        let eligible = IStaking::new(self.staking.get())
            .is_eligible(&*self, terms.operator)
            .map_err(Revert::bubble)?;
        if !eligible {
            let e = OperatorNotEligible { operator: terms.operator };
            return Err(Error::OperatorNotEligible(e).into());
        }
        let rewards = mul(terms.reward, U256::from(max))?;
        let operator_fee = share(rewards, self.operator_fee_bps.get())?;
        let protocol_fee = share(rewards, self.protocol_fee_bps.get())?;
        let escrow = add(add(rewards, operator_fee)?, protocol_fee)?;
        let minimum = self.min_escrow.get();
        if escrow.is_zero() || escrow < minimum {
            return Err(Error::DustQuery(DustQuery { escrow, minimum }).into());
        }

        let id = u64_of(self.query_count.get()) + 1;
        self.query_count.set(U64::from(id));
        let researcher = msg::sender();
        let mut q = self.queries.setter(id);
        q.researcher.set(researcher);
        q.operator.set(terms.operator);
        q.reward.set(terms.reward);
        q.max_consents.set(U32::from(max));
        q.min_consents.set(U32::from(min));
        q.consent_deadline.set(U64::from(cd));
        q.result_deadline.set(U64::from(rd));
        q.state.set(U8::from(state::OPEN));
        q.escrow.set(escrow);
        q.operator_fee.set(operator_fee);
        q.protocol_fee.set(protocol_fee);
        Ok((id, escrow))
    }

    /// Emits [`QuerySubmitted`] for a query just opened and funded.
    fn announce(
        &self,
        id: u64,
        terms: &Terms,
        spec: Bytes,
        purpose: String,
        researcher_key: Bytes,
    ) {
        let q = self.queries.get(id);
        evm::log(QuerySubmitted {
            id,
            researcher: q.researcher.get(),
            operator: terms.operator,
            specHash: terms.spec_hash,
            spec: spec.0.into(),
            purpose,
            rewardPerConsent: terms.reward,
            maxConsents: terms.max_consents,
            minConsents: terms.min_consents,
            consentDeadline: terms.consent_deadline,
            resultDeadline: terms.result_deadline,
            researcherKey: researcher_key.0.into(),
            escrow: q.escrow.get(),
            operatorFee: q.operator_fee.get(),
            protocolFee: q.protocol_fee.get(),
        });
    }

    fn decide(&mut self, query: u64, dataset: u64, choice: u8) -> Result<()> {
        self.query_in(query, state::OPEN)?;
        let owner = msg::sender();
        let (holder, active, _) = self.dataset_of(owner, dataset)?;
        if !active {
            return Err(
                Error::DatasetInactive(DatasetInactive { dataset }).into()
            );
        }
        let q = self.queries.get(query);
        let operator = q.operator.get();
        if holder != operator {
            let e = WrongOperator { dataset, holder, operator };
            return Err(Error::WrongOperator(e).into());
        }
        let key = consent_key(query, dataset);
        let was_approved = self.consents.get(key).decision.get()
            == U8::from(decision::APPROVE);
        let mut approvals = u32_of(q.approvals.get());
        match choice {
            decision::APPROVE if !was_approved => {
                let max = u32_of(q.max_consents.get());
                if approvals >= max {
                    let e = QueryFull { query, maxConsents: max };
                    return Err(Error::QueryFull(e).into());
                }
                approvals += 1;
            }
            decision::APPROVE => {}
            _ if was_approved => approvals -= 1,
            decision::REVOKE => {
                return Err(
                    Error::NotApproved(NotApproved { query, dataset }).into()
                );
            }
            _ => {}
        }
        self.queries.setter(query).approvals.set(U32::from(approvals));
        self.consents.setter(key).decision.set(U8::from(choice));
        let at = clock::now();
        evm::log(ConsentDecided {
            query,
            dataset,
            owner,
            decision: choice,
            at,
            approvals,
        });
        Ok(())
    }

    fn claim_one(
        &mut self,
        owner: Address,
        query: u64,
        dataset: u64,
    ) -> Result<U256> {
        self.query_in(query, state::FINALIZED)?;
        let (_, active, deactivated_at) = self.dataset_of(owner, dataset)?;
        let q = self.queries.get(query);
        let key = consent_key(query, dataset);
        let c = self.consents.get(key);
        // Deactivated before the result: withdrawn from this query.
        let withdrawn =
            !active && deactivated_at <= u64_of(q.answered_at.get());
        if c.decision.get() != U8::from(decision::APPROVE) || withdrawn {
            return Err(
                Error::NotApproved(NotApproved { query, dataset }).into()
            );
        }
        if c.claimed.get() {
            let e = AlreadyClaimed { query, dataset };
            return Err(Error::AlreadyClaimed(e).into());
        }
        let claims = u32_of(q.claims.get());
        if claims >= u32_of(q.consents_used.get()) {
            return Err(
                Error::RewardsExhausted(RewardsExhausted { query }).into()
            );
        }
        let amount = q.reward.get();
        let pool = sub(q.pool.get(), amount)?;
        self.consents.setter(key).claimed.set(true);
        let mut q = self.queries.setter(query);
        q.claims.set(U32::from(claims + 1));
        q.pool.set(pool);
        Ok(amount)
    }

    /// `dataset`'s operator, whether it is active, and when it was
    /// deactivated, read from the registry, if `owner` owns it.
    fn dataset_of(
        &self,
        owner: Address,
        dataset: u64,
    ) -> Result<(Address, bool, u64)> {
        let (holder_of, operator, _, active, deactivated_at) =
            IDatasets::new(self.datasets.get())
                .dataset(self, dataset)
                .map_err(Revert::bubble)?;
        if holder_of.is_zero() {
            let e = UnknownDataset { dataset };
            return Err(Error::UnknownDataset(e).into());
        }
        if holder_of != owner {
            let e = NotDatasetOwner { dataset, caller: owner };
            return Err(Error::NotDatasetOwner(e).into());
        }
        Ok((operator, active, deactivated_at))
    }

    fn query_state(&self, query: u64) -> Result<u8> {
        let current: u8 = self.queries.get(query).state.get().to();
        if current == 0 {
            return Err(Error::UnknownQuery(UnknownQuery { query }).into());
        }
        Ok(current)
    }

    fn query_in(&self, query: u64, wanted: u8) -> Result<()> {
        let current = self.query_state(query)?;
        if current != wanted {
            let e = WrongQueryState { query, state: current };
            return Err(Error::WrongQueryState(e).into());
        }
        Ok(())
    }

    fn only_owner(&self) -> Result<()> {
        let account = msg::sender();
        if account != self.owner.get() {
            let e = OwnableUnauthorizedAccount { account };
            return Err(Error::UnauthorizedAccount(e).into());
        }
        Ok(())
    }

    fn set_owner(&mut self, new_owner: Address) {
        let previous_owner = self.owner.get();
        self.owner.set(new_owner);
        evm::log(OwnershipTransferred { previous_owner, new_owner });
    }

    fn pull(&mut self, from: Address, amount: U256) -> Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let this = contract::address();
        IGene::new(self.gene.get())
            .transfer_from(&mut *self, from, this, amount)
            .map_err(Revert::bubble)?;
        Ok(())
    }

    fn pay(&mut self, to: Address, amount: U256) -> Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        IGene::new(self.gene.get())
            .transfer(&mut *self, to, amount)
            .map_err(Revert::bubble)?;
        Ok(())
    }

    /// Test-only: stands in for the deployment's init code, which records
    /// the deployer in slot 0 on chain.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn deployed_by(&mut self, deployer: Address) {
        self.deployer.set(deployer);
    }
}

/// A GA4GH Data Use Ontology code this ledger accepts: GRU, HMB, DS, POA or
/// NRES, alone or followed by `:` or `-` and modifiers (`DS:MONDO:0005148`,
/// `HMB-IRB`).
pub fn is_duo_code(purpose: &str) -> bool {
    if purpose.len() > MAX_PURPOSE_LEN {
        return false;
    }
    ["GRU", "HMB", "DS", "POA", "NRES"].iter().any(|code| {
        purpose.strip_prefix(code).is_some_and(|rest| {
            rest.is_empty()
                || (rest.len() > 1
                    && (rest.starts_with(':') || rest.starts_with('-')))
        })
    })
}

#[cfg(test)]
mod tests;
