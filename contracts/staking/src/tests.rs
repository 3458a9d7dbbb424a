use alloy_primitives::{uint, Address, U256, U512};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::ERC20InsufficientAllowance;
use proptest::prelude::*;
use strand_common::clock;
use strand_gene::Gene;

use super::*;

const GENE: U256 = uint!(1_000_000_000_000_000_000_U256);
const CAP: U256 = uint!(10_000_000_000_000_000_000_000_000_U256); // 10M GENE
const INITIAL: U256 = uint!(1_000_000_000_000_000_000_000_000_U256); // 1M GENE
const MIN_STAKE: U256 = uint!(1_000_000_000_000_000_000_000_U256); // 1000 GENE
const UNBONDING: u64 = 14 * 24 * 3600;
const HORIZON: u64 = 7 * 24 * 3600;
const RATE: U256 = uint!(1_000_000_000_000_000_U256); // 0.001 GENE/s
const SLASH_BPS: U256 = uint!(1_000_U256); // 10%
const CHALLENGER_BPS: U256 = uint!(5_000_U256); // half of it

fn gene(n: u64) -> U256 {
    GENE * U256::from(n)
}

/// GENE and staking initialised by `owner`, with `arbiter` as arbiter.
fn setup(
    token: &Contract<Gene>,
    staking: &Contract<Staking>,
    owner: Address,
    arbiter: Address,
) {
    token.sender(owner).deployed_by(owner);
    token
        .sender(owner)
        .initialize(
            "GENE".into(),
            "GENE".into(),
            CAP,
            INITIAL,
            staking.address(),
        )
        .motsu_unwrap();
    staking.sender(owner).deployed_by(owner);
    staking
        .sender(owner)
        .initialize(
            token.address(),
            arbiter,
            MIN_STAKE,
            UNBONDING,
            HORIZON,
            RATE,
            SLASH_BPS,
            CHALLENGER_BPS,
        )
        .motsu_unwrap();
}

/// GENE initialised by `owner` with `staking` as its minter.
fn init_gene(
    token: &Contract<Gene>,
    staking: &Contract<Staking>,
    owner: Address,
) {
    token.sender(owner).deployed_by(owner);
    token
        .sender(owner)
        .initialize(
            "GENE".into(),
            "GENE".into(),
            CAP,
            INITIAL,
            staking.address(),
        )
        .motsu_unwrap();
}

/// Gives `operator` `amount` GENE and lets staking pull it.
fn fund(
    token: &Contract<Gene>,
    staking: &Contract<Staking>,
    owner: Address,
    operator: Address,
    amount: U256,
) {
    token.sender(owner).transfer(operator, amount).motsu_unwrap();
    token.sender(operator).approve(staking.address(), amount).motsu_unwrap();
}

fn stake(
    token: &Contract<Gene>,
    staking: &Contract<Staking>,
    owner: Address,
    operator: Address,
    amount: U256,
) {
    fund(token, staking, owner, operator, amount);
    staking.sender(operator).stake(amount).motsu_unwrap();
}

fn own<T: core::fmt::Debug>(r: Result<T>) -> Error {
    match r.motsu_unwrap_err() {
        Revert::Own(e) => e,
        Revert::Bubble(data) => {
            panic!("expected own error, got bubbled {data:?}")
        }
    }
}

#[motsu::test]
fn initialize_sets_roles_and_parameters(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    arbiter: Address,
) {
    setup(&token, &staking, owner, arbiter);
    let s = staking.sender(owner);
    assert_eq!(s.owner(), owner);
    assert_eq!(s.gene(), token.address());
    assert_eq!(s.arbiter(), arbiter);
    assert_eq!(s.ledger(), Address::ZERO);
    assert_eq!(s.min_stake(), MIN_STAKE);
    assert_eq!(s.unbonding_period(), UNBONDING);
    assert_eq!(s.dispute_horizon(), HORIZON);
    assert_eq!(s.reward_rate(), RATE);
    assert_eq!(s.slash_shares(), (SLASH_BPS, CHALLENGER_BPS));
    drop(s);
    staking.assert_emitted(&Initialized { owner, gene: token.address() });
}

#[motsu::test]
fn initialize_rejects_anyone_but_the_deployer_and_a_second_call(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    mallory: Address,
) {
    init_gene(&token, &staking, owner);
    staking.sender(owner).deployed_by(owner);
    let call = |who: Address| {
        staking.sender(who).initialize(
            token.address(),
            who,
            MIN_STAKE,
            UNBONDING,
            HORIZON,
            RATE,
            SLASH_BPS,
            CHALLENGER_BPS,
        )
    };
    let err = own(call(mallory));
    assert!(
        matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == mallory)
    );
    call(owner).motsu_unwrap();
    let err = own(call(owner));
    assert!(
        matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == owner)
    );
}

#[motsu::test]
fn initialize_rejects_unbonding_not_longer_than_the_horizon(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    staking.sender(owner).deployed_by(owner);
    let err = own(staking.sender(owner).initialize(
        token.address(),
        owner,
        MIN_STAKE,
        HORIZON,
        HORIZON,
        RATE,
        SLASH_BPS,
        CHALLENGER_BPS,
    ));
    assert!(matches!(err, Error::UnbondingTooShort(_)));
}

#[motsu::test]
fn initialize_rejects_a_slash_over_the_maximum(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    staking.sender(owner).deployed_by(owner);
    let err = own(staking.sender(owner).initialize(
        token.address(),
        owner,
        MIN_STAKE,
        UNBONDING,
        HORIZON,
        RATE,
        U256::from(MAX_SLASH_BPS + 1),
        CHALLENGER_BPS,
    ));
    assert!(matches!(err, Error::InvalidSlashShares(_)));
}

#[motsu::test]
fn initialize_requires_staking_to_be_genes_minter(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    token.sender(owner).deployed_by(owner);
    token
        .sender(owner)
        .initialize("GENE".into(), "GENE".into(), CAP, INITIAL, owner)
        .motsu_unwrap();
    staking.sender(owner).deployed_by(owner);
    let err = own(staking.sender(owner).initialize(
        token.address(),
        owner,
        MIN_STAKE,
        UNBONDING,
        HORIZON,
        RATE,
        SLASH_BPS,
        CHALLENGER_BPS,
    ));
    assert!(
        matches!(err, Error::NotGeneMinter(NotGeneMinter { minter }) if minter == owner)
    );
}

#[motsu::test]
fn initialize_rejects_a_zero_arbiter_and_a_minimum_a_slash_cannot_touch(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    init_gene(&token, &staking, owner);
    staking.sender(owner).deployed_by(owner);
    let init = |arbiter: Address, min: U256, slash: U256| {
        staking.sender(owner).initialize(
            token.address(),
            arbiter,
            min,
            UNBONDING,
            HORIZON,
            RATE,
            slash,
            CHALLENGER_BPS,
        )
    };
    assert!(matches!(
        own(init(Address::ZERO, MIN_STAKE, SLASH_BPS)),
        Error::ZeroRole(_)
    ));
    // 10% of 9 wei rounds to nothing: such an operator could not be slashed.
    let err = own(init(owner, U256::from(9), SLASH_BPS));
    assert!(matches!(
        err,
        Error::MinStakeTooLow(MinStakeTooLow { minStake, slashBps })
            if minStake == U256::from(9) && slashBps == SLASH_BPS
    ));
    assert!(matches!(
        own(init(owner, MIN_STAKE, U256::ZERO)),
        Error::InvalidSlashShares(_)
    ));
    init(owner, U256::from(10), SLASH_BPS).motsu_unwrap();
}

#[motsu::test]
fn stake_pulls_gene_and_makes_the_operator_eligible(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, MIN_STAKE - U256::from(1));
    assert!(!staking.sender(op).is_eligible(op));
    fund(&token, &staking, owner, op, U256::from(1));
    staking.sender(op).stake(U256::from(1)).motsu_unwrap();
    assert!(staking.sender(op).is_eligible(op));
    assert_eq!(staking.sender(op).total_staked(), MIN_STAKE);
    assert_eq!(
        staking.sender(op).operator_info(op),
        (MIN_STAKE, U256::ZERO, 0, false)
    );
    assert_eq!(token.sender(op).balance_of(staking.address()), MIN_STAKE);
    assert_eq!(token.sender(op).balance_of(op), U256::ZERO);
    staking.assert_emitted(&Staked {
        operator: op,
        amount: U256::from(1),
        stake: MIN_STAKE,
    });
}

#[motsu::test]
fn stake_of_zero_fails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = own(staking.sender(owner).stake(U256::ZERO));
    assert!(matches!(err, Error::ZeroAmount(_)));
}

#[motsu::test]
fn stake_without_allowance_passes_genes_error_through(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = staking.sender(owner).stake(gene(1)).motsu_unwrap_err();
    let expected: Vec<u8> =
        strand_gene::Error::InsufficientAllowance(ERC20InsufficientAllowance {
            spender: staking.address(),
            allowance: U256::ZERO,
            needed: gene(1),
        })
        .into();
    assert!(matches!(err, Revert::Bubble(data) if data == expected));
    assert_eq!(staking.sender(owner).total_staked(), U256::ZERO);
}

#[motsu::test]
fn unstake_request_moves_stake_to_unbonding(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(2000));
    staking.sender(op).request_unstake(gene(1500)).motsu_unwrap();
    let release = clock::now() + UNBONDING;
    assert_eq!(
        staking.sender(op).operator_info(op),
        (gene(500), gene(1500), release, false)
    );
    assert_eq!(staking.sender(op).total_staked(), gene(500));
    assert_eq!(staking.sender(op).total_unbonding(), gene(1500));
    assert!(!staking.sender(op).is_eligible(op));
    staking.assert_emitted(&UnstakeRequested {
        operator: op,
        amount: gene(1500),
        unbonding: gene(1500),
        releaseAt: release,
    });
}

#[motsu::test]
fn unstake_more_than_the_stake_or_zero_fails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(10));
    let err = own(staking.sender(op).request_unstake(gene(11)));
    assert!(matches!(
        err,
        Error::InsufficientStake(InsufficientStake { operator, stake, requested })
            if operator == op && stake == gene(10) && requested == gene(11)
    ));
    let err = own(staking.sender(op).request_unstake(U256::ZERO));
    assert!(matches!(err, Error::ZeroAmount(_)));
}

#[motsu::test]
fn withdraw_waits_for_the_unbonding_period(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).set_reward_rate(U256::ZERO).motsu_unwrap();
    stake(&token, &staking, owner, op, gene(10));
    staking.sender(op).request_unstake(gene(10)).motsu_unwrap();
    clock::advance(UNBONDING - 1);
    let err = own(staking.sender(op).withdraw());
    assert!(matches!(err, Error::StillUnbonding(_)));
    clock::advance(1);
    assert_eq!(staking.sender(op).withdraw().motsu_unwrap(), gene(10));
    assert_eq!(token.sender(op).balance_of(op), gene(10));
    assert_eq!(staking.sender(op).total_unbonding(), U256::ZERO);
    staking.assert_emitted(&Withdrawn { operator: op, amount: gene(10) });
    let err = own(staking.sender(op).withdraw());
    assert!(
        matches!(err, Error::NothingUnbonding(NothingUnbonding { operator }) if operator == op)
    );
}

#[motsu::test]
fn a_jailed_operator_cannot_withdraw(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    arbiter: Address,
    op: Address,
) {
    setup(&token, &staking, owner, arbiter);
    stake(&token, &staking, owner, op, gene(100));
    staking.sender(op).request_unstake(gene(100)).motsu_unwrap();
    staking.sender(arbiter).slash(op, Address::ZERO).motsu_unwrap();
    clock::advance(UNBONDING);
    let err = own(staking.sender(op).withdraw());
    assert!(
        matches!(err, Error::OperatorJailed(OperatorJailed { operator }) if operator == op)
    );
    staking.sender(arbiter).unjail(op).motsu_unwrap();
    assert_eq!(staking.sender(op).withdraw().motsu_unwrap(), gene(90));
}

#[motsu::test]
fn a_lone_staker_earns_the_full_rate(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(1000));
    clock::advance(1000);
    assert_eq!(
        staking.sender(op).pending_emissions(op).motsu_unwrap(),
        RATE * U256::from(1000)
    );
    let paid = staking.sender(op).claim_emissions().motsu_unwrap();
    assert_eq!(paid, RATE * U256::from(1000));
    assert_eq!(token.sender(op).balance_of(op), paid);
    assert_eq!(token.sender(op).total_supply(), INITIAL + paid);
    assert_eq!(staking.sender(op).emissions_reserve(), U256::ZERO);
    assert_eq!(
        staking.sender(op).reward_per_token(),
        paid * PRECISION / gene(1000)
    );
    staking.assert_emitted(&EmissionsMinted {
        amount: paid,
        rewardPerToken: paid * PRECISION / gene(1000),
    });
    staking.assert_emitted(&EmissionsClaimed { operator: op, amount: paid });
}

#[motsu::test]
fn emissions_are_shared_pro_rata(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    a: Address,
    b: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, a, gene(1000));
    stake(&token, &staking, owner, b, gene(3000));
    clock::advance(400);
    let total = RATE * U256::from(400);
    assert_eq!(
        staking.sender(a).pending_emissions(a).motsu_unwrap(),
        total / U256::from(4)
    );
    assert_eq!(
        staking.sender(b).pending_emissions(b).motsu_unwrap(),
        total * U256::from(3) / U256::from(4)
    );
}

#[motsu::test]
fn nothing_accrues_while_nothing_is_staked(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    clock::advance(10_000);
    stake(&token, &staking, owner, op, gene(1000));
    clock::advance(10);
    let paid = staking.sender(op).claim_emissions().motsu_unwrap();
    assert_eq!(paid, RATE * U256::from(10));
    assert_eq!(token.sender(op).total_supply(), INITIAL + paid);
}

#[motsu::test]
fn claiming_nothing_fails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = own(staking.sender(op).claim_emissions());
    assert!(
        matches!(err, Error::NothingToClaim(NothingToClaim { operator }) if operator == op)
    );
}

#[motsu::test]
fn emissions_stop_at_the_cap(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(1000));
    // A rate that would overshoot the remaining room within one second.
    staking.sender(owner).set_reward_rate(CAP).motsu_unwrap();
    clock::advance(1);
    let paid = staking.sender(op).claim_emissions().motsu_unwrap();
    assert_eq!(paid, CAP - INITIAL);
    assert_eq!(token.sender(op).total_supply(), CAP);
    clock::advance(100);
    let err = own(staking.sender(op).claim_emissions());
    assert!(matches!(err, Error::NothingToClaim(_)));
}

#[motsu::test]
fn slash_pays_the_challenger_burns_the_rest_and_jails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    ledger: Address,
    op: Address,
    challenger: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).set_ledger(ledger).motsu_unwrap();
    staking.sender(owner).set_reward_rate(U256::ZERO).motsu_unwrap();
    stake(&token, &staking, owner, op, gene(1000));
    let supply = token.sender(op).total_supply();
    let taken = staking.sender(ledger).slash(op, challenger).motsu_unwrap();
    assert_eq!(taken, gene(100));
    assert_eq!(token.sender(op).balance_of(challenger), gene(50));
    assert_eq!(token.sender(op).total_supply(), supply - gene(50));
    assert_eq!(token.sender(op).balance_of(staking.address()), gene(900));
    assert_eq!(
        staking.sender(op).operator_info(op),
        (gene(900), U256::ZERO, 0, true)
    );
    assert!(!staking.sender(op).is_eligible(op));
    staking.assert_emitted(&Slashed {
        operator: op,
        challenger,
        slasher: ledger,
        amount: gene(100),
        fromUnbonding: U256::ZERO,
        challengerReward: gene(50),
        burned: gene(50),
    });
}

#[motsu::test]
fn slash_reaches_unbonding_stake_and_burns_all_without_a_challenger(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).set_reward_rate(U256::ZERO).motsu_unwrap();
    stake(&token, &staking, owner, op, gene(1000));
    staking.sender(op).request_unstake(gene(960)).motsu_unwrap();
    let supply = token.sender(op).total_supply();
    let taken = staking.sender(owner).slash(op, Address::ZERO).motsu_unwrap();
    assert_eq!(taken, gene(100));
    let (active, unbonding, _, jailed) = staking.sender(op).operator_info(op);
    assert_eq!((active, unbonding, jailed), (U256::ZERO, gene(900), true));
    assert_eq!(staking.sender(op).total_unbonding(), gene(900));
    assert_eq!(token.sender(op).total_supply(), supply - gene(100));
    staking.assert_emitted(&Slashed {
        operator: op,
        challenger: Address::ZERO,
        slasher: owner,
        amount: gene(100),
        fromUnbonding: gene(60),
        challengerReward: U256::ZERO,
        burned: gene(100),
    });
}

#[motsu::test]
fn a_challenger_reward_to_the_program_itself_is_burned(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).set_reward_rate(U256::ZERO).motsu_unwrap();
    stake(&token, &staking, owner, op, gene(1000));
    staking.sender(owner).slash(op, staking.address()).motsu_unwrap();
    let s = staking.sender(owner);
    let held = token.sender(owner).balance_of(staking.address());
    assert_eq!(
        held,
        s.total_staked() + s.total_unbonding() + s.emissions_reserve()
    );
    assert_eq!(held, gene(900));
}

#[motsu::test]
fn slash_by_anyone_else_fails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    arbiter: Address,
    op: Address,
) {
    setup(&token, &staking, owner, arbiter);
    stake(&token, &staking, owner, op, gene(1000));
    for who in [owner, op] {
        let err = own(staking.sender(who).slash(op, who));
        assert!(
            matches!(err, Error::NotSlasher(NotSlasher { caller }) if caller == who)
        );
    }
}

#[motsu::test]
fn slash_of_an_empty_operator_fails(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = own(staking.sender(owner).slash(op, owner));
    assert!(
        matches!(err, Error::NothingToSlash(NothingToSlash { operator }) if operator == op)
    );
}

#[motsu::test]
fn unjail_is_for_the_arbiter_and_jailed_operators_only(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    arbiter: Address,
    op: Address,
) {
    setup(&token, &staking, owner, arbiter);
    stake(&token, &staking, owner, op, gene(2000));
    let err = own(staking.sender(arbiter).unjail(op));
    assert!(matches!(err, Error::OperatorNotJailed(_)));
    staking.sender(arbiter).slash(op, arbiter).motsu_unwrap();
    let err = own(staking.sender(owner).unjail(op));
    assert!(
        matches!(err, Error::NotArbiter(NotArbiter { caller }) if caller == owner)
    );
    staking.sender(arbiter).unjail(op).motsu_unwrap();
    assert!(staking.sender(op).is_eligible(op));
    staking.assert_emitted(&Unjailed { operator: op, arbiter });
}

#[motsu::test]
fn owner_setters_change_parameters_and_emit(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    other: Address,
) {
    setup(&token, &staking, owner, owner);
    let s = || staking.sender(owner);
    s().set_min_stake(gene(5)).motsu_unwrap();
    assert_eq!(s().min_stake(), gene(5));
    staking.assert_emitted(&ParameterChanged {
        name: key("minStake"),
        previous: MIN_STAKE,
        current: gene(5),
    });
    s().set_unbonding_period(UNBONDING * 2).motsu_unwrap();
    assert_eq!(s().unbonding_period(), UNBONDING * 2);
    s().set_dispute_horizon(HORIZON * 2).motsu_unwrap();
    assert_eq!(s().dispute_horizon(), HORIZON * 2);
    staking.assert_emitted(&ParameterChanged {
        name: key("disputeHorizon"),
        previous: U256::from(HORIZON),
        current: U256::from(HORIZON * 2),
    });
    s().set_reward_rate(U256::from(7)).motsu_unwrap();
    assert_eq!(s().reward_rate(), U256::from(7));
    s().set_slash_shares(U256::from(MAX_SLASH_BPS), U256::from(BPS))
        .motsu_unwrap();
    assert_eq!(
        s().slash_shares(),
        (U256::from(MAX_SLASH_BPS), U256::from(BPS))
    );
    s().set_ledger(other).motsu_unwrap();
    assert_eq!(s().ledger(), other);
    staking.assert_emitted(&RoleChanged {
        role: key("ledger"),
        previous: Address::ZERO,
        current: other,
    });
    s().set_arbiter(other).motsu_unwrap();
    assert_eq!(s().arbiter(), other);
    staking.assert_emitted(&RoleChanged {
        role: key("arbiter"),
        previous: owner,
        current: other,
    });
}

#[motsu::test]
fn setters_keep_unbonding_longer_than_the_horizon(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = own(staking.sender(owner).set_unbonding_period(HORIZON));
    assert!(matches!(
        err,
        Error::UnbondingTooShort(UnbondingTooShort { unbondingPeriod, disputeHorizon })
            if unbondingPeriod == HORIZON && disputeHorizon == HORIZON
    ));
    let err = own(staking.sender(owner).set_dispute_horizon(UNBONDING));
    assert!(matches!(err, Error::UnbondingTooShort(_)));
    let err = own(staking
        .sender(owner)
        .set_slash_shares(U256::from(1), U256::from(BPS + 1)));
    assert!(matches!(err, Error::InvalidSlashShares(_)));
    let err =
        own(staking.sender(owner).set_slash_shares(U256::ZERO, U256::ZERO));
    assert!(matches!(err, Error::InvalidSlashShares(_)));
    let err =
        own(staking.sender(owner).set_unbonding_period(MAX_UNBONDING + 1));
    assert!(matches!(err, Error::UnbondingTooShort(_)));
    let err = own(staking.sender(owner).set_min_stake(U256::from(9)));
    assert!(matches!(err, Error::MinStakeTooLow(_)));
    let err = own(staking.sender(owner).set_arbiter(Address::ZERO));
    assert!(
        matches!(err, Error::ZeroRole(ZeroRole { role }) if role == key("arbiter"))
    );
}

#[motsu::test]
fn a_slash_share_that_rounds_the_minimum_to_nothing_is_refused(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).set_min_stake(U256::from(100)).motsu_unwrap();
    // 0.01% of 100 wei is nothing.
    let err =
        own(staking.sender(owner).set_slash_shares(U256::from(1), U256::ZERO));
    assert!(matches!(err, Error::MinStakeTooLow(_)));
    staking
        .sender(owner)
        .set_slash_shares(U256::from(100), U256::ZERO)
        .motsu_unwrap();
}

#[motsu::test]
fn every_owner_function_rejects_other_accounts(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    mallory: Address,
) {
    setup(&token, &staking, owner, owner);
    let m = || staking.sender(mallory);
    let calls: [&dyn Fn() -> Result<()>; 9] = [
        &|| m().set_min_stake(U256::ZERO),
        &|| m().set_unbonding_period(UNBONDING),
        &|| m().set_dispute_horizon(HORIZON),
        &|| m().set_reward_rate(U256::ZERO),
        &|| m().set_slash_shares(SLASH_BPS, CHALLENGER_BPS),
        &|| m().set_ledger(mallory),
        &|| m().set_arbiter(mallory),
        &|| m().pause(),
        &|| m().unpause(),
    ];
    for call in calls {
        assert!(matches!(own(call()), Error::UnauthorizedAccount(_)));
    }
    let err = own(m().transfer_ownership(mallory));
    assert!(
        matches!(err, Error::UnauthorizedAccount(e) if e.account == mallory)
    );
    let err = own(m().renounce_ownership());
    assert!(
        matches!(err, Error::UnauthorizedAccount(e) if e.account == mallory)
    );
    assert_eq!(staking.sender(owner).owner(), owner);
}

#[motsu::test]
fn ownership_can_be_handed_over(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    next: Address,
) {
    setup(&token, &staking, owner, owner);
    staking.sender(owner).transfer_ownership(next).motsu_unwrap();
    assert_eq!(staking.sender(owner).owner(), next);
    staking.assert_emitted(&OwnershipTransferred {
        previous_owner: owner,
        new_owner: next,
    });
    staking.sender(next).renounce_ownership().motsu_unwrap();
    assert_eq!(staking.sender(owner).owner(), Address::ZERO);
}

#[motsu::test]
fn ownership_cannot_go_to_the_zero_address(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    setup(&token, &staking, owner, owner);
    let err = own(staking.sender(owner).transfer_ownership(Address::ZERO));
    assert!(matches!(err, Error::InvalidOwner(_)));
    assert_eq!(staking.sender(owner).owner(), owner);
}

#[motsu::test]
fn an_absurd_rate_is_clamped_by_the_cap_and_can_be_undone(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(1000));
    staking.sender(owner).set_reward_rate(U256::MAX).motsu_unwrap();
    clock::advance(2);
    let paid = staking.sender(op).claim_emissions().motsu_unwrap();
    assert_eq!(paid, CAP - INITIAL);
    staking.sender(owner).set_reward_rate(U256::ZERO).motsu_unwrap();
    clock::advance(100);
    assert!(matches!(
        own(staking.sender(op).claim_emissions()),
        Error::NothingToClaim(_)
    ));
}

#[motsu::test]
fn initialize_rejects_a_cap_the_accumulator_cannot_scale(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
) {
    token.sender(owner).deployed_by(owner);
    token
        .sender(owner)
        .initialize(
            "G".into(),
            "G".into(),
            U256::MAX,
            U256::ZERO,
            staking.address(),
        )
        .motsu_unwrap();
    staking.sender(owner).deployed_by(owner);
    let err = own(staking.sender(owner).initialize(
        token.address(),
        owner,
        MIN_STAKE,
        UNBONDING,
        HORIZON,
        RATE,
        SLASH_BPS,
        CHALLENGER_BPS,
    ));
    assert!(
        matches!(err, Error::UnsupportedCap(UnsupportedCap { cap }) if cap == U256::MAX)
    );
}

#[motsu::test]
fn pause_stops_operators_but_not_slashing(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(1000));
    staking.sender(op).request_unstake(gene(10)).motsu_unwrap();
    clock::advance(UNBONDING);
    staking.sender(owner).pause().motsu_unwrap();
    assert!(staking.sender(owner).paused());
    assert!(matches!(
        own(staking.sender(owner).pause()),
        Error::EnforcedPause(_)
    ));
    assert!(matches!(
        own(staking.sender(op).stake(gene(1))),
        Error::EnforcedPause(_)
    ));
    assert!(matches!(
        own(staking.sender(op).request_unstake(gene(1))),
        Error::EnforcedPause(_)
    ));
    assert!(matches!(
        own(staking.sender(op).withdraw()),
        Error::EnforcedPause(_)
    ));
    assert!(matches!(
        own(staking.sender(op).claim_emissions()),
        Error::EnforcedPause(_)
    ));
    staking.sender(owner).slash(op, owner).motsu_unwrap();
    staking.sender(owner).unpause().motsu_unwrap();
    assert!(matches!(
        own(staking.sender(owner).unpause()),
        Error::ExpectedPause(_)
    ));
    staking.sender(op).claim_emissions().motsu_unwrap();
}

#[motsu::test]
fn changing_the_rate_pays_the_old_rate_up_to_the_change(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(1000));
    clock::advance(100);
    staking.sender(owner).set_reward_rate(RATE * U256::from(2)).motsu_unwrap();
    clock::advance(100);
    let paid = staking.sender(op).claim_emissions().motsu_unwrap();
    assert_eq!(paid, RATE * U256::from(300));
}

#[motsu::test]
fn gene_transfer_events_match_the_stake(
    token: Contract<Gene>,
    staking: Contract<Staking>,
    owner: Address,
    op: Address,
) {
    setup(&token, &staking, owner, owner);
    stake(&token, &staking, owner, op, gene(3));
    token.assert_emitted(&strand_gene::Transfer {
        from: op,
        to: staking.address(),
        value: gene(3),
    });
}

// ---------------------------------------------------------------------
// Properties over random sequences of operator actions.

#[derive(Debug, Clone)]
enum Action {
    Stake(usize, u64),
    Unstake(usize, u64),
    Withdraw(usize),
    Claim(usize),
    Slash(usize),
    Wait(u64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..3usize, 1..5_000u64).prop_map(|(i, n)| Action::Stake(i, n)),
        (0..3usize, 1..5_000u64).prop_map(|(i, n)| Action::Unstake(i, n)),
        (0..3usize).prop_map(Action::Withdraw),
        (0..3usize).prop_map(Action::Claim),
        (0..3usize).prop_map(Action::Slash),
        (1..(2 * UNBONDING)).prop_map(Action::Wait),
    ]
}

/// A fresh GENE and staking pair, three operators funded with 100k GENE.
fn world() -> (Contract<Gene>, Contract<Staking>, Address, [Address; 3]) {
    let token = Contract::<Gene>::new();
    let staking = Contract::<Staking>::new();
    let owner = Address::repeat_byte(0xaa);
    setup(&token, &staking, owner, owner);
    let ops = [
        Address::repeat_byte(1),
        Address::repeat_byte(2),
        Address::repeat_byte(3),
    ];
    for op in ops {
        fund(&token, &staking, owner, op, gene(100_000));
    }
    (token, staking, owner, ops)
}

fn operator_stake(staking: &Contract<Staking>, op: Address) -> (U256, U256) {
    let (stake, unbonding, _, _) = staking.sender(op).operator_info(op);
    (stake, unbonding)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The program's GENE is always its stake plus unclaimed emissions,
    /// and no slash takes more than the operator had.
    #[test]
    fn balance_equals_stake_plus_unclaimed_emissions(
        actions in proptest::collection::vec(action(), 1..30)
    ) {
        let (token, staking, owner, ops) = world();
        for a in actions {
            let before: Vec<_> = ops.iter().map(|&op| operator_stake(&staking, op)).collect();
            let _ = match a {
                Action::Stake(i, n) => staking.sender(ops[i]).stake(gene(n)),
                Action::Unstake(i, n) => staking.sender(ops[i]).request_unstake(gene(n)),
                Action::Withdraw(i) => staking.sender(ops[i]).withdraw().map(|_| ()),
                Action::Claim(i) => staking.sender(ops[i]).claim_emissions().map(|_| ()),
                Action::Slash(i) => {
                    let r = staking.sender(owner).slash(ops[i], owner);
                    if let Ok(taken) = &r {
                        let (s, u) = before[i];
                        prop_assert!(*taken <= s + u);
                        let (s2, u2) = operator_stake(&staking, ops[i]);
                        prop_assert_eq!(s + u - *taken, s2 + u2);
                        staking.sender(owner).unjail(ops[i]).motsu_unwrap();
                    }
                    r.map(|_| ())
                }
                Action::Wait(secs) => { clock::advance(secs); Ok(()) }
            };
            let s = staking.sender(owner);
            let held = token.sender(owner).balance_of(staking.address());
            prop_assert_eq!(
                held,
                s.total_staked() + s.total_unbonding() + s.emissions_reserve()
            );
            let stakes: U256 = ops.iter().map(|&op| operator_stake(&staking, op).0).sum();
            prop_assert_eq!(stakes, s.total_staked());
        }
    }

    /// Over random stake, unstake and claim sequences, each operator's
    /// claimed plus pending emissions match an independent per-interval
    /// pro-rata computation to within one wei, and never exceed it.
    #[test]
    fn emissions_are_pro_rata_within_one_wei(
        actions in proptest::collection::vec(action(), 1..30)
    ) {
        let (_token, staking, owner, ops) = world();
        let mut claimed = [U256::ZERO; 3];
        // Exact entitlement, scaled by PRECISION: sum over intervals of
        // rate * seconds * PRECISION * stake_i / total.
        let mut entitled = [U256::ZERO; 3];
        for a in actions {
            let a = match a {
                Action::Slash(i) => Action::Claim(i),
                other => other,
            };
            match a {
                Action::Stake(i, n) => { let _ = staking.sender(ops[i]).stake(gene(n)); }
                Action::Unstake(i, n) => {
                    let _ = staking.sender(ops[i]).request_unstake(gene(n));
                }
                Action::Withdraw(i) => { let _ = staking.sender(ops[i]).withdraw(); }
                Action::Claim(i) => {
                    if let Ok(paid) = staking.sender(ops[i]).claim_emissions() {
                        claimed[i] += paid;
                    }
                }
                Action::Slash(_) => unreachable!(),
                Action::Wait(secs) => {
                    let total = staking.sender(owner).total_staked();
                    if !total.is_zero() {
                        for (i, &op) in ops.iter().enumerate() {
                            let stake = operator_stake(&staking, op).0;
                            // 512 bits: the product overflows 256.
                            let share = U512::from(RATE * U256::from(secs) * PRECISION)
                                * U512::from(stake)
                                / U512::from(total);
                            entitled[i] += U256::from(share);
                        }
                    }
                    clock::advance(secs);
                }
            }
        }
        for (i, &op) in ops.iter().enumerate() {
            let got = claimed[i] + staking.sender(op).pending_emissions(op).motsu_unwrap();
            let exact = entitled[i] / PRECISION;
            prop_assert!(got <= exact + U256::from(1), "op {i}: got {got}, exact {exact}");
            prop_assert!(got + U256::from(1) >= exact, "op {i}: got {got}, exact {exact}");
        }
    }
}
