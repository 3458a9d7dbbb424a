use alloy_primitives::{uint, Address, B256, U256};
use alloy_sol_types::SolError;
use motsu::prelude::*;
use strand_common::clock;
use strand_datasets::Datasets;
use strand_gene::Gene;
use strand_staking::Staking;

use super::*;

const GENE: U256 = uint!(1_000_000_000_000_000_000_U256);
const CAP: U256 = uint!(10_000_000_000_000_000_000_000_000_U256);
const INITIAL: U256 = uint!(1_000_000_000_000_000_000_000_000_U256);
const DAY: u64 = 24 * 3600;
const SPEC: &[u8] =
    b"{\"kind\":\"carrier_count\",\"chrom\":\"2\",\"pos\":12345,\"alt\":\"G\"}";

fn gene(n: u64) -> U256 {
    GENE * U256::from(n)
}

/// The four programs wired as deployment wires them, plus the accounts.
struct World {
    token: Contract<Gene>,
    staking: Contract<Staking>,
    registry: Contract<Datasets>,
    ledger: Contract<Ledger>,
    admin: Address,
    arbiter: Address,
    treasury: Address,
    operator: Address,
    researcher: Address,
}

impl World {
    fn new() -> Self {
        let w = World {
            token: Contract::new(),
            staking: Contract::new(),
            registry: Contract::new(),
            ledger: Contract::new(),
            admin: Address::repeat_byte(0xad),
            arbiter: Address::repeat_byte(0xab),
            treasury: Address::repeat_byte(0x7e),
            operator: Address::repeat_byte(0x0b),
            researcher: Address::repeat_byte(0x5e),
        };
        let admin = w.admin;
        w.token.sender(admin).deployed_by(admin);
        w.token
            .sender(admin)
            .initialize(
                "GENE".into(),
                "GENE".into(),
                CAP,
                INITIAL,
                w.staking.address(),
            )
            .motsu_unwrap();
        w.staking.sender(admin).deployed_by(admin);
        w.staking
            .sender(admin)
            .initialize(
                w.token.address(),
                w.arbiter,
                gene(1000),
                14 * DAY,
                7 * DAY,
                U256::ZERO,
                U256::from(1_000),
                U256::from(5_000),
            )
            .motsu_unwrap();
        w.staking.sender(admin).set_ledger(w.ledger.address()).motsu_unwrap();
        w.ledger.sender(admin).deployed_by(admin);
        w.ledger
            .sender(admin)
            .initialize(
                w.token.address(),
                w.staking.address(),
                w.registry.address(),
                w.arbiter,
                w.treasury,
                U256::from(500),
                U256::from(100),
                gene(1),
                gene(10),
                DAY,
                2 * DAY,
            )
            .motsu_unwrap();
        // The operator stakes the minimum; the researcher holds 10k GENE
        // and lets the ledger pull it.
        w.fund(w.operator, gene(1000), w.staking.address());
        w.staking.sender(w.operator).stake(gene(1000)).motsu_unwrap();
        w.fund(w.researcher, gene(10_000), w.ledger.address());
        w
    }

    fn fund(&self, who: Address, amount: U256, spender: Address) {
        self.token.sender(self.admin).transfer(who, amount).motsu_unwrap();
        self.token.sender(who).approve(spender, amount).motsu_unwrap();
    }

    fn balance(&self, who: Address) -> U256 {
        self.token.sender(who).balance_of(who)
    }

    fn held(&self) -> U256 {
        self.token.sender(self.admin).balance_of(self.ledger.address())
    }

    /// `n` owners, each with one dataset held by the operator.
    fn owners(&self, n: u8) -> Vec<(Address, u64)> {
        (1..=n)
            .map(|i| {
                let owner = Address::repeat_byte(0x40 + i);
                let id = self
                    .registry
                    .sender(owner)
                    .register(B256::repeat_byte(i), self.operator)
                    .motsu_unwrap();
                (owner, id)
            })
            .collect()
    }

    /// A query for up to 5 consents at 10 GENE, at least 2, consent for
    /// 1000 s, result by 5000 s from now.
    fn submit(&self) -> u64 {
        self.submit_with(5, 2, gene(10))
    }

    fn submit_with(&self, max: u32, min: u32, reward: U256) -> u64 {
        self.submit_until(max, min, reward, 5000)
    }

    /// As [`World::submit_with`], with the result due `result_in` seconds
    /// from now.
    fn submit_until(
        &self,
        max: u32,
        min: u32,
        reward: U256,
        result_in: u64,
    ) -> u64 {
        let now = clock::now();
        self.ledger
            .sender(self.researcher)
            .submit_query(
                stylus_sdk::crypto::keccak(SPEC),
                SPEC.to_vec().into(),
                "HMB".into(),
                self.operator,
                reward,
                max,
                min,
                now + 1000,
                now + result_in,
                vec![0xaa; 32].into(),
                U256::ZERO,
                0,
                B256::ZERO,
                B256::ZERO,
            )
            .motsu_unwrap()
    }

    fn post(&self, query: u64, used: u32) -> Result<()> {
        self.ledger.sender(self.operator).post_result(
            query,
            B256::repeat_byte(0xc0),
            used,
            vec![1, 2, 3].into(),
        )
    }
}

fn own<T: core::fmt::Debug>(r: Result<T>) -> Error {
    match r.motsu_unwrap_err() {
        Revert::Own(e) => e,
        Revert::Bubble(data) => {
            panic!("expected own error, got bubbled {data:?}")
        }
    }
}

#[test]
fn a_whole_query_pays_owners_operator_treasury_and_refunds_the_rest() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(4);
    let before = w.balance(w.researcher);
    let q = w.submit();
    // 5 x 10 GENE rewards, 5% operator fee, 1% protocol fee.
    assert_eq!(w.held(), gene(53));
    assert_eq!(w.balance(w.researcher), before - gene(53));
    w.ledger.assert_emitted(&QuerySubmitted {
        id: q,
        researcher: w.researcher,
        operator: w.operator,
        specHash: stylus_sdk::crypto::keccak(SPEC),
        spec: SPEC.to_vec().into(),
        purpose: "HMB".into(),
        rewardPerConsent: gene(10),
        maxConsents: 5,
        minConsents: 2,
        consentDeadline: clock::now() + 1000,
        resultDeadline: clock::now() + 5000,
        researcherKey: vec![0xaa; 32].into(),
        escrow: gene(53),
        operatorFee: gene(5) / U256::from(2),
        protocolFee: gene(1) / U256::from(2),
    });

    for &(owner, dataset) in &owners[..3] {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    w.ledger.sender(owners[3].0).deny(q, owners[3].1).motsu_unwrap();
    assert_eq!(
        w.ledger.sender(w.admin).consent(q, owners[3].1),
        (decision::DENY, false)
    );
    assert_eq!(w.ledger.sender(w.admin).query(q).4, 3);

    clock::advance(1000);
    w.post(q, 3).motsu_unwrap();
    clock::advance(DAY);
    let op_before = w.balance(w.operator);
    let researcher_before = w.balance(w.researcher);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    assert_eq!(w.balance(w.operator), op_before + gene(5) / U256::from(2));
    assert_eq!(w.balance(w.treasury), gene(1) / U256::from(2));
    assert_eq!(w.balance(w.researcher), researcher_before + gene(20));
    assert_eq!(w.held(), gene(30));
    let (_, _, state, _, _, used, escrow, pool) =
        w.ledger.sender(w.admin).query(q);
    assert_eq!(
        (state, used, escrow, pool),
        (state::FINALIZED, 3, U256::ZERO, gene(30))
    );

    for &(owner, dataset) in &owners[..3] {
        let paid =
            w.ledger.sender(owner).claim(vec![q], vec![dataset]).motsu_unwrap();
        assert_eq!(paid, gene(10));
        assert_eq!(w.balance(owner), gene(10));
    }
    assert_eq!(w.held(), U256::ZERO);
    let (owner, dataset) = owners[0];
    let err = own(w.ledger.sender(owner).claim(vec![q], vec![dataset]));
    assert!(
        matches!(err, Error::AlreadyClaimed(e) if e == AlreadyClaimed { query: q, dataset })
    );
    let (owner, dataset) = owners[3];
    let err = own(w.ledger.sender(owner).claim(vec![q], vec![dataset]));
    assert!(
        matches!(err, Error::NotApproved(e) if e == NotApproved { query: q, dataset })
    );
}

#[test]
fn revoked_consent_is_not_counted_and_revoking_without_approval_fails() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    let (alice, a) = owners[0];
    let err = own(w.ledger.sender(alice).revoke(q, a));
    assert!(
        matches!(err, Error::NotApproved(NotApproved { query, dataset }) if query == q && dataset == a)
    );
    w.ledger.sender(alice).approve(q, a).motsu_unwrap();
    w.ledger.sender(owners[1].0).approve(q, owners[1].1).motsu_unwrap();
    w.ledger.sender(alice).revoke(q, a).motsu_unwrap();
    assert_eq!(w.ledger.sender(alice).query(q).4, 1);
    w.ledger.assert_emitted(&ConsentDecided {
        query: q,
        dataset: a,
        owner: alice,
        decision: decision::REVOKE,
        at: clock::now(),
        approvals: 1,
    });
    clock::advance(1000);
    // One approval left, below the minimum of two.
    let err = own(w.post(q, 2));
    assert!(matches!(err, Error::InvalidConsentCount(_)));
    let err = own(w.post(q, 1));
    assert!(matches!(
        err,
        Error::InvalidConsentCount(InvalidConsentCount {
            consentsUsed: 1,
            minConsents: 2,
            approvals: 1,
            ..
        })
    ));
}

#[test]
fn approvals_stop_at_the_maximum() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(3);
    let q = w.submit_with(2, 1, gene(10));
    w.ledger.sender(owners[0].0).approve(q, owners[0].1).motsu_unwrap();
    w.ledger.sender(owners[1].0).approve(q, owners[1].1).motsu_unwrap();
    let err = own(w.ledger.sender(owners[2].0).approve(q, owners[2].1));
    assert!(matches!(err, Error::QueryFull(QueryFull { maxConsents: 2, .. })));
    // Approving twice does not count twice.
    w.ledger.sender(owners[0].0).approve(q, owners[0].1).motsu_unwrap();
    assert_eq!(w.ledger.sender(w.admin).query(q).4, 2);
}

#[test]
fn consent_needs_the_datasets_owner_and_the_querys_operator() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(1);
    let (alice, a) = owners[0];
    let q = w.submit();
    let mallory = Address::repeat_byte(0x66);
    let err = own(w.ledger.sender(mallory).approve(q, a));
    assert!(
        matches!(err, Error::NotDatasetOwner(NotDatasetOwner { caller, .. }) if caller == mallory)
    );
    let err = own(w.ledger.sender(alice).approve(q, 99));
    assert!(matches!(
        err,
        Error::UnknownDataset(UnknownDataset { dataset: 99 })
    ));
    let err = own(w.ledger.sender(alice).approve(77, a));
    assert!(matches!(err, Error::UnknownQuery(UnknownQuery { query: 77 })));
    let elsewhere = w
        .registry
        .sender(alice)
        .register(B256::repeat_byte(9), Address::repeat_byte(0x99))
        .motsu_unwrap();
    let err = own(w.ledger.sender(alice).approve(q, elsewhere));
    assert!(matches!(
        err,
        Error::WrongOperator(e) if e == WrongOperator {
            dataset: elsewhere,
            holder: Address::repeat_byte(0x99),
            operator: w.operator,
        }
    ));
    w.registry.sender(alice).deactivate(a).motsu_unwrap();
    let err = own(w.ledger.sender(alice).approve(q, a));
    assert!(
        matches!(err, Error::DatasetInactive(DatasetInactive { dataset }) if dataset == a)
    );
}

#[test]
fn a_denial_takes_back_an_earlier_approval() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(3);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    let (alice, a) = owners[0];
    w.ledger.sender(alice).deny(q, a).motsu_unwrap();
    w.ledger.assert_emitted(&ConsentDecided {
        query: q,
        dataset: a,
        owner: alice,
        decision: decision::DENY,
        at: clock::now(),
        approvals: 2,
    });
    assert_eq!(w.ledger.sender(alice).consent(q, a), (decision::DENY, false));
    // Denying again counts nothing twice; a denial has nothing to revoke.
    w.ledger.sender(alice).deny(q, a).motsu_unwrap();
    assert_eq!(w.ledger.sender(alice).query(q).4, 2);
    let err = own(w.ledger.sender(alice).revoke(q, a));
    assert!(
        matches!(err, Error::NotApproved(e) if e == NotApproved { query: q, dataset: a })
    );
    clock::advance(1000);
    let err = own(w.post(q, 3));
    assert!(matches!(
        err,
        Error::InvalidConsentCount(e) if e == InvalidConsentCount {
            query: q,
            consentsUsed: 3,
            minConsents: 2,
            approvals: 2,
        }
    ));
    w.post(q, 2).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    let err = own(w.ledger.sender(alice).claim(vec![q], vec![a]));
    assert!(
        matches!(err, Error::NotApproved(e) if e == NotApproved { query: q, dataset: a })
    );
    for &(owner, dataset) in &owners[1..] {
        let paid =
            w.ledger.sender(owner).claim(vec![q], vec![dataset]).motsu_unwrap();
        assert_eq!(paid, gene(10));
    }
    assert_eq!(w.balance(alice), U256::ZERO);
    assert_eq!(w.held(), U256::ZERO);
}

#[test]
fn consent_stays_open_until_the_result_is_posted() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(3);
    let q = w.submit();
    for &(owner, dataset) in &owners[..2] {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    // Past the consent deadline the operator may answer; until it does,
    // owners may still decide.
    clock::advance(1600);
    let (carol, c) = owners[2];
    w.ledger.sender(carol).approve(q, c).motsu_unwrap();
    assert_eq!(w.ledger.sender(carol).query(q).4, 3);
    w.post(q, 3).motsu_unwrap();
    let (alice, a) = owners[0];
    let l = || w.ledger.sender(alice);
    let calls: [&dyn Fn() -> Result<()>; 3] =
        [&|| l().approve(q, a), &|| l().deny(q, a), &|| l().revoke(q, a)];
    for call in calls {
        assert!(matches!(
            own(call()),
            Error::WrongQueryState(e)
                if e == WrongQueryState { query: q, state: state::ANSWERED }
        ));
    }
    assert_eq!(
        w.ledger.sender(alice).consent(q, a),
        (decision::APPROVE, false)
    );
    assert_eq!(w.ledger.sender(alice).query(q).4, 3);
}

#[test]
fn a_dataset_deactivated_before_the_answer_is_not_paid() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(3);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    w.registry.sender(owners[2].0).deactivate(owners[2].1).motsu_unwrap();
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    let (owner, dataset) = owners[2];
    let err = own(w.ledger.sender(owner).claim(vec![q], vec![dataset]));
    assert!(
        matches!(err, Error::NotApproved(e) if e == NotApproved { query: q, dataset })
    );
    let paid = w
        .ledger
        .sender(owners[0].0)
        .claim(vec![q], vec![owners[0].1])
        .motsu_unwrap();
    assert_eq!(paid, gene(10));
}

#[test]
fn a_dataset_deactivated_after_the_answer_is_still_paid() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    clock::advance(1);
    let (bob, b) = owners[1];
    w.registry.sender(bob).deactivate(b).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    let paid = w.ledger.sender(bob).claim(vec![q], vec![b]).motsu_unwrap();
    assert_eq!(paid, gene(10));
    assert_eq!(w.balance(bob), gene(10));
    // It takes part in no later query.
    let next = w.submit();
    let err = own(w.ledger.sender(bob).approve(next, b));
    assert!(
        matches!(err, Error::DatasetInactive(DatasetInactive { dataset }) if dataset == b)
    );
}

#[test]
fn only_the_owner_claims_and_only_after_finalisation() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    let (owner, dataset) = owners[0];
    let err = own(w.ledger.sender(owner).claim(vec![q], vec![dataset]));
    assert!(matches!(
        err,
        Error::WrongQueryState(WrongQueryState { state: state::ANSWERED, .. })
    ));
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    let mallory = Address::repeat_byte(0x66);
    let err = own(w.ledger.sender(mallory).claim(vec![q], vec![dataset]));
    assert!(matches!(
        err,
        Error::NotDatasetOwner(NotDatasetOwner { caller, .. }) if caller == mallory
    ));
    assert_eq!(w.balance(mallory), U256::ZERO);
    // A batch fails whole: the second pair is not the caller's.
    let err = own(w
        .ledger
        .sender(owner)
        .claim(vec![q, q], vec![dataset, owners[1].1]));
    assert!(matches!(
        err,
        Error::NotDatasetOwner(e)
            if e == NotDatasetOwner { dataset: owners[1].1, caller: owner }
    ));
    assert_eq!(w.ledger.sender(owner).consent(q, dataset), (1, false));
}

#[test]
fn claims_stop_at_the_consents_used() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(3);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    for &(owner, dataset) in &owners[..2] {
        w.ledger.sender(owner).claim(vec![q], vec![dataset]).motsu_unwrap();
    }
    let err =
        own(w.ledger.sender(owners[2].0).claim(vec![q], vec![owners[2].1]));
    assert!(
        matches!(err, Error::RewardsExhausted(RewardsExhausted { query }) if query == q)
    );
    assert_eq!(w.held(), U256::ZERO);
}

#[test]
fn a_consent_claimed_twice_in_one_call_is_refused_whole() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let (q1, q2) = (w.submit(), w.submit());
    for q in [q1, q2] {
        for &(owner, dataset) in &owners {
            w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
        }
    }
    clock::advance(1000);
    w.post(q1, 2).motsu_unwrap();
    w.post(q2, 2).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q1).motsu_unwrap();
    w.ledger.sender(w.admin).finalize(q2).motsu_unwrap();
    assert_eq!(w.held(), gene(40));
    let (alice, a) = owners[0];
    let err = own(w.ledger.sender(alice).claim(vec![q1, q1], vec![a, a]));
    assert!(matches!(
        err,
        Error::AlreadyClaimed(e) if e == AlreadyClaimed { query: q1, dataset: a }
    ));
    assert_eq!(w.balance(alice), U256::ZERO);
    assert_eq!(
        w.ledger.sender(alice).consent(q1, a),
        (decision::APPROVE, false)
    );
    // One dataset's consents to two queries are two claims.
    let paid =
        w.ledger.sender(alice).claim(vec![q1, q2], vec![a, a]).motsu_unwrap();
    assert_eq!(paid, gene(20));
    for query in [q1, q2] {
        w.ledger.assert_emitted(&RewardClaimed {
            query,
            dataset: a,
            owner: alice,
            amount: gene(10),
        });
        assert_eq!(
            w.ledger.sender(alice).consent(query, a),
            (decision::APPROVE, true)
        );
    }
    let err = own(w.ledger.sender(alice).claim(vec![q2], vec![a]));
    assert!(matches!(
        err,
        Error::AlreadyClaimed(e) if e == AlreadyClaimed { query: q2, dataset: a }
    ));
    assert_eq!(w.balance(alice), gene(20));
    assert_eq!(w.held(), gene(20));
    assert_eq!(w.ledger.sender(alice).query(q1).7, gene(10));
}

#[test]
fn results_only_from_the_operator_between_the_deadlines() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let t0 = clock::now();
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    let err = own(w.post(q, 2));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: t0 + 1000,
            closes: t0 + 5000,
            now: t0,
        }
    ));
    clock::advance(1000);
    let err = own(w.ledger.sender(w.researcher).post_result(
        q,
        B256::ZERO,
        2,
        vec![].into(),
    ));
    assert!(matches!(
        err,
        Error::NotQueryOperator(e)
            if e == NotQueryOperator { query: q, caller: w.researcher }
    ));
    clock::advance(4001);
    let err = own(w.post(q, 2));
    assert!(
        matches!(err, Error::OutsideWindow(OutsideWindow { query, .. }) if query == q)
    );
}

#[test]
fn an_unanswered_query_is_reclaimed_in_full_after_its_result_deadline() {
    let _p = deploy_precompiles();
    let w = World::new();
    let before = w.balance(w.researcher);
    let t0 = clock::now();
    let q = w.submit();
    clock::advance(5000);
    let err = own(w.ledger.sender(w.researcher).reclaim(q));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: t0 + 5001,
            closes: u64::MAX,
            now: t0 + 5000,
        }
    ));
    clock::advance(1);
    w.ledger.sender(w.researcher).reclaim(q).motsu_unwrap();
    assert_eq!(w.balance(w.researcher), before);
    assert_eq!(w.held(), U256::ZERO);
    w.ledger.assert_emitted(&QueryReclaimed {
        query: q,
        researcher: w.researcher,
        amount: gene(53),
    });
    let err = own(w.ledger.sender(w.researcher).reclaim(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(WrongQueryState { state: state::RECLAIMED, .. })
    ));
}

#[test]
fn finalisation_waits_for_the_challenge_window_and_happens_once() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    let err = own(w.ledger.sender(w.admin).finalize(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::OPEN }
    ));
    let err = own(w.ledger.sender(w.admin).finalize(99));
    assert!(matches!(err, Error::UnknownQuery(UnknownQuery { query: 99 })));
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    let answered = clock::now();
    // Answered: past its result deadline the query is no longer
    // reclaimable.
    clock::advance(4001);
    let err = own(w.ledger.sender(w.researcher).reclaim(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::ANSWERED }
    ));
    clock::advance(DAY - 4002);
    let err = own(w.ledger.sender(w.admin).finalize(q));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: answered,
            closes: answered + DAY,
            now: answered + DAY - 1,
        }
    ));
    clock::advance(1);
    let anyone = Address::repeat_byte(0x99);
    w.ledger.sender(anyone).finalize(q).motsu_unwrap();
    w.ledger.assert_emitted(&QueryFinalized {
        query: q,
        by: anyone,
        ownersPool: gene(20),
        operatorFee: gene(5) / U256::from(2),
        protocolFee: gene(1) / U256::from(2),
        refund: gene(30),
    });
    let finalised = |e: &WrongQueryState| {
        *e == WrongQueryState { query: q, state: state::FINALIZED }
    };
    let err = own(w.ledger.sender(anyone).finalize(q));
    assert!(matches!(err, Error::WrongQueryState(ref e) if finalised(e)));
    let err = own(w.ledger.sender(w.researcher).reclaim(q));
    assert!(matches!(err, Error::WrongQueryState(ref e) if finalised(e)));
    let challenger = Address::repeat_byte(0xcc);
    w.fund(challenger, gene(10), w.ledger.address());
    let err = own(w.ledger.sender(challenger).challenge(q));
    assert!(matches!(err, Error::WrongQueryState(ref e) if finalised(e)));
    assert_eq!(w.held(), gene(20));
}

/// A query answered with two consents and challenged by `challenger`.
fn disputed(w: &World, challenger: Address) -> u64 {
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    w.fund(challenger, gene(10), w.ledger.address());
    w.ledger.sender(challenger).challenge(q).motsu_unwrap();
    q
}

#[test]
fn an_upheld_dispute_slashes_the_operator_and_refunds_the_researcher() {
    let _p = deploy_precompiles();
    let w = World::new();
    let challenger = Address::repeat_byte(0xcc);
    let before = w.balance(w.researcher);
    let q = disputed(&w, challenger);
    assert_eq!(w.held(), gene(63));
    let err = own(w.ledger.sender(w.admin).resolve(q, true));
    assert!(
        matches!(err, Error::NotArbiter(NotArbiter { caller }) if caller == w.admin)
    );
    w.ledger.sender(w.arbiter).resolve(q, true).motsu_unwrap();
    assert_eq!(w.balance(w.researcher), before);
    // Bond back, plus half of the 10% slash of 1000 GENE.
    assert_eq!(w.balance(challenger), gene(10) + gene(50));
    assert_eq!(w.held(), U256::ZERO);
    assert!(!w.staking.sender(w.admin).is_eligible(w.operator));
    w.ledger.assert_emitted(&DisputeResolved {
        query: q,
        arbiter: w.arbiter,
        upheld: true,
        slashed: gene(100),
        refund: gene(53),
    });
}

#[test]
fn a_rejected_dispute_pays_the_bond_to_the_operator_and_allows_no_second() {
    let _p = deploy_precompiles();
    let w = World::new();
    let challenger = Address::repeat_byte(0xcc);
    let q = disputed(&w, challenger);
    let op_before = w.balance(w.operator);
    w.ledger.sender(w.arbiter).resolve(q, false).motsu_unwrap();
    assert_eq!(w.balance(w.operator), op_before + gene(10));
    w.fund(challenger, gene(10), w.ledger.address());
    let err = own(w.ledger.sender(challenger).challenge(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::ANSWERED }
    ));
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    assert_eq!(w.held(), gene(20));
}

#[test]
fn an_unjudged_dispute_lapses_and_returns_the_bond() {
    let _p = deploy_precompiles();
    let w = World::new();
    let challenger = Address::repeat_byte(0xcc);
    let q = disputed(&w, challenger);
    // Answered and challenged at the same moment.
    let answered = clock::now();
    let err = own(w.ledger.sender(w.admin).finalize(q));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: answered,
            closes: answered + 2 * DAY + 1,
            now: answered,
        }
    ));
    clock::advance(2 * DAY + 1);
    let err = own(w.ledger.sender(w.arbiter).resolve(q, true));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: answered,
            closes: answered + 2 * DAY,
            now: answered + 2 * DAY + 1,
        }
    ));
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    assert_eq!(w.balance(challenger), gene(10));
    w.ledger.assert_emitted(&DisputeLapsed {
        query: q,
        challenger,
        bond: gene(10),
    });
    assert_eq!(w.held(), gene(20));
}

#[test]
fn challenges_close_with_the_window() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    let answered = clock::now();
    clock::advance(DAY);
    let challenger = Address::repeat_byte(0xcc);
    w.fund(challenger, gene(10), w.ledger.address());
    let err = own(w.ledger.sender(challenger).challenge(q));
    assert!(matches!(
        err,
        Error::OutsideWindow(e) if e == OutsideWindow {
            query: q,
            opens: answered,
            closes: answered + DAY,
            now: answered + DAY,
        }
    ));
}

#[test]
fn a_jailed_or_unbonding_operator_can_neither_take_nor_answer_queries() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    w.staking.sender(w.operator).request_unstake(gene(1)).motsu_unwrap();
    clock::advance(1000);
    let err = own(w.post(q, 2));
    assert!(matches!(
        err,
        Error::OperatorNotEligible(OperatorNotEligible { operator })
            if operator == w.operator
    ));
    w.staking.sender(w.arbiter).slash(w.operator, Address::ZERO).motsu_unwrap();
    let now = clock::now();
    let err = own(w.ledger.sender(w.researcher).submit_query(
        stylus_sdk::crypto::keccak(SPEC),
        SPEC.to_vec().into(),
        "HMB".into(),
        w.operator,
        gene(10),
        5,
        2,
        now + 1000,
        now + 5000,
        vec![].into(),
        U256::ZERO,
        0,
        B256::ZERO,
        B256::ZERO,
    ));
    assert!(matches!(
        err,
        Error::OperatorNotEligible(OperatorNotEligible { operator })
            if operator == w.operator
    ));
}

sol! {
    /// GENE's error for a transfer beyond the allowance (OpenZeppelin's).
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
}

#[test]
fn a_challenge_without_the_bond_fails_with_genes_error() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    let challenger = Address::repeat_byte(0xcc);
    let err = w.ledger.sender(challenger).challenge(q).motsu_unwrap_err();
    let expected = ERC20InsufficientAllowance {
        spender: w.ledger.address(),
        allowance: U256::ZERO,
        needed: gene(10),
    }
    .abi_encode();
    assert!(matches!(err, Revert::Bubble(data) if data == expected));
    assert_eq!(w.ledger.sender(w.admin).query(q).2, state::ANSWERED);
    w.fund(challenger, gene(10), w.ledger.address());
    w.ledger.sender(challenger).challenge(q).motsu_unwrap();
    w.ledger.assert_emitted(&Challenged {
        query: q,
        challenger,
        bond: gene(10),
        arbitrationDeadline: clock::now() + 2 * DAY,
    });
    assert_eq!(w.held(), gene(63));
}

#[test]
fn only_a_disputed_query_is_resolved() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let q = w.submit();
    for &(owner, dataset) in &owners {
        w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
    }
    let resolve = |query: u64| w.ledger.sender(w.arbiter).resolve(query, true);
    let err = own(resolve(99));
    assert!(matches!(err, Error::UnknownQuery(UnknownQuery { query: 99 })));
    let err = own(resolve(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::OPEN }
    ));
    clock::advance(1000);
    w.post(q, 2).motsu_unwrap();
    let err = own(resolve(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::ANSWERED }
    ));
    let challenger = Address::repeat_byte(0xcc);
    w.fund(challenger, gene(10), w.ledger.address());
    w.ledger.sender(challenger).challenge(q).motsu_unwrap();
    w.ledger.sender(w.arbiter).resolve(q, false).motsu_unwrap();
    // Judged once: a second judgement cannot turn it round.
    let err = own(resolve(q));
    assert!(matches!(
        err,
        Error::WrongQueryState(e)
            if e == WrongQueryState { query: q, state: state::ANSWERED }
    ));
    assert!(w.staking.sender(w.admin).is_eligible(w.operator));
}

#[test]
fn a_jailed_operator_answers_nothing_more_and_its_open_query_is_reclaimed() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let before = w.balance(w.researcher);
    let (q1, q2) = (w.submit(), w.submit());
    for q in [q1, q2] {
        for &(owner, dataset) in &owners {
            w.ledger.sender(owner).approve(q, dataset).motsu_unwrap();
        }
    }
    clock::advance(1000);
    w.post(q1, 2).motsu_unwrap();
    let challenger = Address::repeat_byte(0xcc);
    w.fund(challenger, gene(10), w.ledger.address());
    w.ledger.sender(challenger).challenge(q1).motsu_unwrap();
    w.ledger.sender(w.arbiter).resolve(q1, true).motsu_unwrap();
    assert_eq!(
        w.staking.sender(w.admin).operator_info(w.operator),
        (gene(900), U256::ZERO, 0, true)
    );
    // The refunded query pays no owner and settles no further.
    let refunded = |e: &WrongQueryState| {
        *e == WrongQueryState { query: q1, state: state::REFUNDED }
    };
    let (alice, a) = owners[0];
    let err = own(w.ledger.sender(alice).claim(vec![q1], vec![a]));
    assert!(matches!(err, Error::WrongQueryState(ref e) if refunded(e)));
    let err = own(w.ledger.sender(w.admin).finalize(q1));
    assert!(matches!(err, Error::WrongQueryState(ref e) if refunded(e)));
    let err = own(w.ledger.sender(challenger).challenge(q1));
    assert!(matches!(err, Error::WrongQueryState(ref e) if refunded(e)));
    // Jailed, the operator cannot answer its other query.
    let err = own(w.post(q2, 2));
    assert!(matches!(
        err,
        Error::OperatorNotEligible(OperatorNotEligible { operator })
            if operator == w.operator
    ));
    clock::advance(4001);
    w.ledger.sender(w.researcher).reclaim(q2).motsu_unwrap();
    w.ledger.assert_emitted(&QueryReclaimed {
        query: q2,
        researcher: w.researcher,
        amount: gene(53),
    });
    assert_eq!(w.balance(w.researcher), before);
    assert_eq!(w.held(), U256::ZERO);
    // Unjailed and staked back up to the minimum, it takes queries again.
    w.staking.sender(w.arbiter).unjail(w.operator).motsu_unwrap();
    w.fund(w.operator, gene(100), w.staking.address());
    w.staking.sender(w.operator).stake(gene(100)).motsu_unwrap();
    let q3 = w.submit();
    assert_eq!(w.ledger.sender(w.admin).query(q3).2, state::OPEN);
}

#[test]
fn submission_checks_every_term() {
    let _p = deploy_precompiles();
    let w = World::new();
    let now = clock::now();
    let submit = |hash: B256,
                  purpose: &str,
                  reward: U256,
                  max: u32,
                  min: u32,
                  cd: u64,
                  rd: u64| {
        w.ledger.sender(w.researcher).submit_query(
            hash,
            SPEC.to_vec().into(),
            purpose.into(),
            w.operator,
            reward,
            max,
            min,
            cd,
            rd,
            vec![].into(),
            U256::ZERO,
            0,
            B256::ZERO,
            B256::ZERO,
        )
    };
    let h = stylus_sdk::crypto::keccak(SPEC);
    let ok = (gene(10), 5, 2, now + 10, now + 20);
    let err = own(submit(B256::ZERO, "HMB", ok.0, ok.1, ok.2, ok.3, ok.4));
    assert!(matches!(
        err,
        Error::SpecHashMismatch(e)
            if e == SpecHashMismatch { specHash: B256::ZERO, actual: h }
    ));
    let long = format!("DS:{}", "1".repeat(62));
    for bad in ["", "XYZ", "HMBX", "DS:", "HMB-", "gru", long.as_str()] {
        let err = own(submit(h, bad, ok.0, ok.1, ok.2, ok.3, ok.4));
        assert!(
            matches!(err, Error::InvalidPurpose(InvalidPurpose { ref purpose }) if purpose == bad),
            "{bad:?}"
        );
    }
    // The longest purpose accepted is 64 bytes.
    let longest = format!("DS:{}", "1".repeat(61));
    for good in
        ["GRU", "DS:MONDO:0005148", "HMB-IRB", "POA", "NRES", longest.as_str()]
    {
        submit(h, good, ok.0, ok.1, ok.2, ok.3, ok.4).motsu_unwrap();
    }
    let err = own(submit(h, "HMB", ok.0, 2, 3, ok.3, ok.4));
    assert!(matches!(
        err,
        Error::InvalidConsentBounds(InvalidConsentBounds {
            minConsents: 3,
            maxConsents: 2
        })
    ));
    let err = own(submit(h, "HMB", ok.0, 2, 0, ok.3, ok.4));
    assert!(matches!(
        err,
        Error::InvalidConsentBounds(InvalidConsentBounds {
            minConsents: 0,
            maxConsents: 2
        })
    ));
    let err = own(submit(h, "HMB", ok.0, ok.1, ok.2, now, ok.4));
    assert!(matches!(
        err,
        Error::InvalidDeadlines(e) if e == InvalidDeadlines {
            consentDeadline: now,
            resultDeadline: now + 20,
            now,
        }
    ));
    let err = own(submit(h, "HMB", ok.0, ok.1, ok.2, ok.4, ok.4));
    assert!(matches!(
        err,
        Error::InvalidDeadlines(e) if e == InvalidDeadlines {
            consentDeadline: now + 20,
            resultDeadline: now + 20,
            now,
        }
    ));
    // One wei of rewards: both fees round down to nothing.
    let err = own(submit(h, "HMB", U256::from(1), 1, 1, ok.3, ok.4));
    assert!(matches!(
        err,
        Error::DustQuery(e)
            if e == DustQuery { escrow: U256::from(1), minimum: gene(1) }
    ));
    let err = own(submit(h, "HMB", U256::ZERO, 1, 1, ok.3, ok.4));
    assert!(matches!(
        err,
        Error::DustQuery(DustQuery { escrow, .. }) if escrow.is_zero()
    ));
}

#[test]
fn every_privileged_call_refuses_the_wrong_account() {
    let _p = deploy_precompiles();
    let w = World::new();
    let owners = w.owners(2);
    let (alice, a) = owners[0];
    let mallory = Address::repeat_byte(0x66);
    let challenger = Address::repeat_byte(0xcc);
    let q = w.submit();
    // The owner's: configure and transfer_ownership.
    for who in [mallory, w.arbiter, w.operator, w.researcher, w.treasury] {
        let err = own(w.ledger.sender(who).configure(
            who,
            who,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            DAY,
            DAY,
        ));
        assert!(matches!(
            err,
            Error::UnauthorizedAccount(OwnableUnauthorizedAccount { account })
                if account == who
        ));
        let err = own(w.ledger.sender(who).transfer_ownership(who));
        assert!(matches!(
            err,
            Error::UnauthorizedAccount(OwnableUnauthorizedAccount { account })
                if account == who
        ));
    }
    assert_eq!(w.ledger.sender(w.admin).owner(), w.admin);
    assert_eq!(w.ledger.sender(w.admin).roles().3, w.arbiter);
    // The dataset owner's: approve, deny and revoke (not even its
    // operator's).
    w.ledger.sender(alice).approve(q, a).motsu_unwrap();
    w.ledger.sender(owners[1].0).approve(q, owners[1].1).motsu_unwrap();
    for who in [mallory, w.operator, w.researcher, owners[1].0] {
        let l = || w.ledger.sender(who);
        let calls: [&dyn Fn() -> Result<()>; 3] =
            [&|| l().approve(q, a), &|| l().deny(q, a), &|| l().revoke(q, a)];
        for call in calls {
            assert!(matches!(
                own(call()),
                Error::NotDatasetOwner(e)
                    if e == NotDatasetOwner { dataset: a, caller: who }
            ));
        }
    }
    assert_eq!(
        w.ledger.sender(alice).consent(q, a),
        (decision::APPROVE, false)
    );
    // The query's operator's: post_result.
    clock::advance(1000);
    for who in [mallory, alice, w.researcher, w.arbiter, w.admin] {
        let err = own(w.ledger.sender(who).post_result(
            q,
            B256::ZERO,
            2,
            vec![].into(),
        ));
        assert!(matches!(
            err,
            Error::NotQueryOperator(e)
                if e == NotQueryOperator { query: q, caller: who }
        ));
    }
    w.post(q, 2).motsu_unwrap();
    // The arbiter's: resolve (not the owner, the parties or anyone else).
    w.fund(challenger, gene(10), w.ledger.address());
    w.ledger.sender(challenger).challenge(q).motsu_unwrap();
    for who in [w.admin, w.operator, challenger, w.researcher, mallory] {
        for uphold in [true, false] {
            let err = own(w.ledger.sender(who).resolve(q, uphold));
            assert!(
                matches!(err, Error::NotArbiter(NotArbiter { caller }) if caller == who)
            );
        }
    }
    assert_eq!(w.ledger.sender(w.admin).query(q).2, state::DISPUTED);
    w.ledger.sender(w.arbiter).resolve(q, false).motsu_unwrap();
    clock::advance(DAY);
    w.ledger.sender(w.admin).finalize(q).motsu_unwrap();
    // The dataset owner's again: claim.
    for who in [mallory, w.operator, w.researcher, owners[1].0] {
        let before = w.balance(who);
        let err = own(w.ledger.sender(who).claim(vec![q], vec![a]));
        assert!(matches!(
            err,
            Error::NotDatasetOwner(e)
                if e == NotDatasetOwner { dataset: a, caller: who }
        ));
        assert_eq!(w.balance(who), before);
    }
    assert_eq!(
        w.ledger.sender(alice).consent(q, a),
        (decision::APPROVE, false)
    );
}

#[test]
fn configuration_is_for_the_owner_and_keeps_windows_inside_the_horizon() {
    let _p = deploy_precompiles();
    let w = World::new();
    let configure =
        |who: Address, fees: u64, challenge: u64, arbitration: u64| {
            w.ledger.sender(who).configure(
                w.arbiter,
                w.treasury,
                U256::from(fees),
                U256::ZERO,
                gene(1),
                gene(10),
                challenge,
                arbitration,
            )
        };
    assert!(matches!(
        own(configure(w.researcher, 0, DAY, DAY)),
        Error::UnauthorizedAccount(OwnableUnauthorizedAccount { account })
            if account == w.researcher
    ));
    assert!(matches!(
        own(configure(w.admin, 5_001, DAY, DAY)),
        Error::InvalidParameter(e)
            if e == InvalidParameter { name: key("fees"), value: U256::from(5_001) }
    ));
    // The staking program's dispute horizon is 7 days.
    assert!(matches!(
        own(configure(w.admin, 0, 5 * DAY, 3 * DAY)),
        Error::InvalidParameter(e) if e == InvalidParameter {
            name: key("windows"),
            value: U256::from(8 * DAY),
        }
    ));
    assert!(matches!(
        own(configure(w.admin, 0, 0, DAY)),
        Error::InvalidParameter(e) if e == InvalidParameter {
            name: key("windows"),
            value: U256::from(DAY),
        }
    ));
    assert_eq!(
        w.ledger.sender(w.admin).parameters(),
        (U256::from(500), U256::from(100), gene(1), gene(10), DAY, 2 * DAY)
    );
    configure(w.admin, 200, 3 * DAY, 4 * DAY).motsu_unwrap();
    assert_eq!(
        w.ledger.sender(w.admin).parameters(),
        (U256::from(200), U256::ZERO, gene(1), gene(10), 3 * DAY, 4 * DAY)
    );
}

#[test]
fn the_ledger_initialises_once_and_only_for_its_deployer() {
    let _p = deploy_precompiles();
    let w = World::new();
    let err = own(w.ledger.sender(w.admin).initialize(
        w.token.address(),
        w.staking.address(),
        w.registry.address(),
        w.arbiter,
        w.treasury,
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        DAY,
        DAY,
    ));
    assert!(
        matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == w.admin)
    );
    assert_eq!(
        w.ledger.sender(w.admin).roles(),
        (
            w.token.address(),
            w.staking.address(),
            w.registry.address(),
            w.arbiter,
            w.treasury
        )
    );
}

#[test]
fn initialize_by_anyone_but_the_deployer_is_refused() {
    let _p = deploy_precompiles();
    let w = World::new();
    let fresh: Contract<Ledger> = Contract::new();
    let init = |who: Address| {
        fresh.sender(who).initialize(
            w.token.address(),
            w.staking.address(),
            w.registry.address(),
            w.arbiter,
            w.treasury,
            U256::from(500),
            U256::from(100),
            gene(1),
            gene(10),
            DAY,
            2 * DAY,
        )
    };
    // Before its init code has run, no account may initialise it, not even
    // the zero address that slot 0 holds.
    for who in [Address::ZERO, w.admin] {
        let err = own(init(who));
        assert!(
            matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == who)
        );
    }
    fresh.sender(w.admin).deployed_by(w.admin);
    let mallory = Address::repeat_byte(0x66);
    for who in [mallory, w.arbiter, w.operator, w.researcher] {
        let err = own(init(who));
        assert!(
            matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == who)
        );
    }
    assert_eq!(fresh.sender(w.admin).owner(), Address::ZERO);
    assert_eq!(fresh.sender(w.admin).roles().0, Address::ZERO);
    init(w.admin).motsu_unwrap();
    fresh.assert_emitted(&Initialized {
        owner: w.admin,
        gene: w.token.address(),
        staking: w.staking.address(),
        datasets: w.registry.address(),
    });
    assert_eq!(fresh.sender(w.admin).owner(), w.admin);
}

#[test]
fn ownership_moves_only_from_the_owner_and_never_to_nobody() {
    let _p = deploy_precompiles();
    let w = World::new();
    let err = own(w.ledger.sender(w.researcher).transfer_ownership(w.arbiter));
    assert!(matches!(
        err,
        Error::UnauthorizedAccount(OwnableUnauthorizedAccount { account })
            if account == w.researcher
    ));
    let err = own(w.ledger.sender(w.admin).transfer_ownership(Address::ZERO));
    assert!(matches!(
        err,
        Error::InvalidOwner(OwnableInvalidOwner { owner }) if owner.is_zero()
    ));
    assert_eq!(w.ledger.sender(w.admin).owner(), w.admin);
    w.ledger.sender(w.admin).transfer_ownership(w.arbiter).motsu_unwrap();
    w.ledger.assert_emitted(&OwnershipTransferred {
        previous_owner: w.admin,
        new_owner: w.arbiter,
    });
    assert_eq!(w.ledger.sender(w.admin).owner(), w.arbiter);
    let err = own(w.ledger.sender(w.admin).transfer_ownership(w.admin));
    assert!(matches!(
        err,
        Error::UnauthorizedAccount(OwnableUnauthorizedAccount { account })
            if account == w.admin
    ));
}

#[test]
fn claims_need_one_dataset_per_query() {
    let _p = deploy_precompiles();
    let w = World::new();
    let err = own(w.ledger.sender(w.researcher).claim(vec![1, 2], vec![1]));
    assert!(matches!(
        err,
        Error::LengthMismatch(LengthMismatch { queries, datasets })
            if queries == U256::from(2) && datasets == U256::from(1)
    ));
    let paid =
        w.ledger.sender(w.researcher).claim(vec![], vec![]).motsu_unwrap();
    assert_eq!(paid, U256::ZERO);
}

#[test]
fn an_obligation_too_large_for_256_bits_is_refused() {
    let _p = deploy_precompiles();
    let w = World::new();
    let now = clock::now();
    let err = own(w.ledger.sender(w.researcher).submit_query(
        stylus_sdk::crypto::keccak(SPEC),
        SPEC.to_vec().into(),
        "GRU".into(),
        w.operator,
        U256::MAX / U256::from(2),
        3,
        1,
        now + 10,
        now + 20,
        vec![].into(),
        U256::ZERO,
        0,
        B256::ZERO,
        B256::ZERO,
    ));
    assert!(matches!(err, Error::ArithmeticOverflow(_)));
    assert_eq!(w.ledger.sender(w.admin).query_count(), 0);
}

/// Signs an EIP-2612 permit of GENE for `value` to the ledger.
fn sign_permit(
    w: &World,
    owner: Account,
    value: U256,
    deadline: U256,
) -> (u8, B256, B256) {
    use alloy_signer::SignerSync;
    use alloy_sol_types::SolValue;
    let typehash = stylus_sdk::crypto::keccak(
        b"Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
    );
    let nonce = w.token.sender(owner).nonces(owner.address());
    let spender = w.ledger.address();
    let fields = (typehash, owner.address(), spender, value, nonce, deadline);
    let struct_hash = stylus_sdk::crypto::keccak(fields.abi_encode());
    let domain = w.token.sender(owner).domain_separator();
    let digest = stylus_sdk::crypto::keccak(
        [&[0x19, 0x01][..], domain.as_slice(), struct_hash.as_slice()].concat(),
    );
    let sig = owner.signer().sign_hash_sync(&digest).expect("sign");
    (27 + u8::from(sig.v()), sig.r().into(), sig.s().into())
}

#[test]
fn a_permit_funds_the_query_in_one_call_even_when_front_run() {
    let _p = deploy_precompiles();
    let w = World::new();
    let researcher = Account::from_seed("permit researcher");
    w.token
        .sender(w.admin)
        .transfer(researcher.address(), gene(200))
        .motsu_unwrap();
    let deadline = U256::from(u64::MAX);
    let now = clock::now();
    let submit = |v: u8, r: B256, s: B256| {
        w.ledger.sender(researcher).submit_query(
            stylus_sdk::crypto::keccak(SPEC),
            SPEC.to_vec().into(),
            "GRU".into(),
            w.operator,
            gene(10),
            5,
            2,
            now + 1000,
            now + 5000,
            vec![].into(),
            deadline,
            v,
            r,
            s,
        )
    };
    // Plain case: no allowance beforehand, the permit provides it.
    let (v, r, s) = sign_permit(&w, researcher, gene(53), deadline);
    submit(v, r, s).motsu_unwrap();
    assert_eq!(w.held(), gene(53));

    // Front-run: someone submits the researcher's permit to GENE first.
    let (v, r, s) = sign_permit(&w, researcher, gene(53), deadline);
    let front_runner = Address::repeat_byte(0xf7);
    w.token
        .sender(front_runner)
        .permit(
            researcher.address(),
            w.ledger.address(),
            gene(53),
            deadline,
            v,
            r,
            s,
        )
        .motsu_unwrap();
    submit(v, r, s).motsu_unwrap();
    assert_eq!(w.held(), gene(106));

    // A used permit with no allowance left fails with GENE's own error.
    let err = submit(v, r, s).motsu_unwrap_err();
    assert!(matches!(err, Revert::Bubble(data) if !data.is_empty()));
}

#[derive(Debug, Clone)]
enum Act {
    Submit,
    /// Each owner's decision on one query (0: none).
    Decide(usize, [u8; 4]),
    Wait(u64),
    /// Post the result counting all the query's approvals but so many.
    Post(usize, u32),
    Challenge(usize),
    Resolve(usize, bool),
    Finalize(usize),
    Reclaim(usize),
    Claim(usize, usize),
    Deactivate,
    Emissions,
    /// The arbiter unjails the operator, which stakes back up to the
    /// minimum.
    Unjail,
}

/// Random actions on the three newest queries. Approvals are likelier than
/// denials and revocations, and waits come at the scale of each window
/// (a query is answered from 1000 s to four days after its submission,
/// challenged within a day, judged within two), so that lifecycles reach
/// answers, disputes, settlement and claims rather than stopping at
/// refusals.
fn act() -> impl proptest::strategy::Strategy<Value = Act> {
    use proptest::prelude::*;
    let choice = prop_oneof![
        2 => Just(0),
        3 => Just(decision::APPROVE),
        1 => Just(decision::DENY),
        1 => Just(decision::REVOKE),
    ];
    let wait = prop_oneof![
        2 => Just(600u64),
        2 => Just(DAY / 2),
        2 => Just(DAY),
        1 => Just(3 * DAY),
    ];
    prop_oneof![
        1 => Just(Act::Submit),
        6 => (0..3usize, proptest::array::uniform4(choice)).prop_map(|(q, d)| Act::Decide(q, d)),
        4 => wait.prop_map(Act::Wait),
        3 => (0..3usize, 0..2u32).prop_map(|(q, n)| Act::Post(q, n)),
        2 => (0..3usize).prop_map(Act::Challenge),
        2 => (0..3usize, any::<bool>()).prop_map(|(q, u)| Act::Resolve(q, u)),
        3 => (0..3usize).prop_map(Act::Finalize),
        1 => (0..3usize).prop_map(Act::Reclaim),
        4 => (0..4usize, 0..3usize).prop_map(|(o, q)| Act::Claim(o, q)),
        1 => Just(Act::Deactivate),
        1 => Just(Act::Emissions),
        1 => Just(Act::Unjail),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]

    /// Over random lifecycles of up to eight queries, with a dataset
    /// deactivated, the operator jailed and unjailed, and emissions
    /// claimed along the way: the ledger holds
    /// exactly its open obligations (escrow, owners' pools, bonds), a
    /// settled query holds no escrow, no consent is paid twice, and GENE
    /// moves between accounts without being created or lost: the supply
    /// changes only by the emissions minted and the burnt part of each
    /// slash.
    #[test]
    fn the_ledger_holds_exactly_what_it_owes(acts in proptest::collection::vec(act(), 1..100)) {
        let _p = deploy_precompiles();
        let w = World::new();
        let owners = w.owners(4);
        let challenger = Address::repeat_byte(0xcc);
        w.fund(challenger, gene(1000), w.ledger.address());
        // 0.001 GENE a second to the operator, the only staker.
        w.staking.sender(w.admin).set_reward_rate(GENE / U256::from(1000)).motsu_unwrap();
        let supply = w.token.sender(w.admin).total_supply();
        let (_, challenger_bps) = w.staking.sender(w.admin).slash_shares();
        let mut burned = U256::ZERO;
        let mut claimed = U256::ZERO;
        // Results are due within four days, so that answers, disputes and
        // expiries interleave with days of waiting.
        let submit = || w.submit_until(5, 2, gene(10), 4 * DAY);
        let mut queries: Vec<u64> = vec![submit()];
        let mut paid = std::collections::HashSet::new();
        for a in acts {
            // The newest query, or one of the two before it.
            let q = |i: usize| queries[queries.len() - 1 - i % queries.len()];
            match a {
                Act::Submit if queries.len() < 8 && w.staking.sender(w.admin).is_eligible(w.operator) => {
                    queries.push(submit());
                }
                Act::Submit => {}
                Act::Decide(i, decisions) => {
                    for (&(owner, dataset), d) in owners.iter().zip(decisions) {
                        let mut l = w.ledger.sender(owner);
                        let _ = match d {
                            0 => continue,
                            decision::APPROVE => l.approve(q(i), dataset),
                            decision::DENY => l.deny(q(i), dataset),
                            _ => l.revoke(q(i), dataset),
                        };
                    }
                }
                Act::Wait(s) => clock::advance(s),
                Act::Post(i, n) => {
                    let approvals = w.ledger.sender(w.admin).query(q(i)).4;
                    let _ = w.post(q(i), approvals.saturating_sub(n));
                }
                Act::Challenge(i) => { let _ = w.ledger.sender(challenger).challenge(q(i)); }
                Act::Resolve(i, up) => {
                    let staked = |w: &World| {
                        let (stake, unbonding, _, _) =
                            w.staking.sender(w.admin).operator_info(w.operator);
                        stake + unbonding
                    };
                    let before = staked(&w);
                    if w.ledger.sender(w.arbiter).resolve(q(i), up).is_ok() && up {
                        let slashed = before - staked(&w);
                        proptest::prop_assert!(!slashed.is_zero());
                        burned += slashed - slashed * challenger_bps / U256::from(BPS);
                    }
                }
                Act::Finalize(i) => { let _ = w.ledger.sender(w.admin).finalize(q(i)); }
                Act::Reclaim(i) => { let _ = w.ledger.sender(w.researcher).reclaim(q(i)); }
                Act::Claim(o, i) => {
                    let (owner, dataset) = owners[o];
                    if let Ok(amount) = w.ledger.sender(owner).claim(vec![q(i)], vec![dataset]) {
                        proptest::prop_assert_eq!(amount, gene(10));
                        proptest::prop_assert!(paid.insert((q(i), dataset)), "paid twice");
                    }
                }
                Act::Deactivate => {
                    // The last owner's; the other three stay active.
                    let (owner, dataset) = owners[3];
                    let _ = w.registry.sender(owner).deactivate(dataset);
                }
                Act::Unjail => {
                    if w.staking.sender(w.arbiter).unjail(w.operator).is_ok() {
                        let (stake, _, _, _) =
                            w.staking.sender(w.admin).operator_info(w.operator);
                        let missing = gene(1000) - stake;
                        w.fund(w.operator, missing, w.staking.address());
                        w.staking.sender(w.operator).stake(missing).motsu_unwrap();
                    }
                }
                Act::Emissions => {
                    if let Ok(amount) = w.staking.sender(w.operator).claim_emissions() {
                        claimed += amount;
                    }
                }
            }
            let mut owed = U256::ZERO;
            for &id in &queries {
                let (_, _, state, _, _, _, escrow, pool) = w.ledger.sender(w.admin).query(id);
                if matches!(state, state::FINALIZED | state::REFUNDED | state::RECLAIMED) {
                    proptest::prop_assert_eq!(escrow, U256::ZERO);
                }
                owed += escrow + pool;
                if state == state::DISPUTED {
                    owed += gene(10);
                }
            }
            proptest::prop_assert_eq!(w.held(), owed);
            let current = w.token.sender(w.admin).total_supply();
            let minted = w.staking.sender(w.admin).emissions_reserve() + claimed;
            proptest::prop_assert_eq!(current + burned, supply + minted);
            let mut accounts = vec![
                w.admin, w.arbiter, w.treasury, w.operator, w.researcher, challenger,
                w.ledger.address(), w.staking.address(),
            ];
            accounts.extend(owners.iter().map(|&(o, _)| o));
            let total: U256 =
                accounts.iter().map(|&a| w.token.sender(a).balance_of(a)).sum();
            proptest::prop_assert_eq!(total, current);
        }
    }
}

proptest::proptest! {
    /// The ledger's short division agrees with ruint's for every divisor
    /// it may meet.
    #[test]
    fn short_division_matches_ruint(
        limbs in proptest::array::uniform4(proptest::prelude::any::<u64>()),
        d in 1..=u32::MAX,
    ) {
        let x = U256::from_limbs(limbs);
        proptest::prop_assert_eq!(div_small(x, d), x / U256::from(d));
    }
}
