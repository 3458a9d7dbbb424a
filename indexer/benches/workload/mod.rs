//! A deterministic stream of the programs' events with the mix a busy
//! deployment shows: mostly GENE transfers among a few thousand holders,
//! then datasets, consents, queries through their whole life, and operator
//! staking. Every event decodes with the ABI files and projects without an
//! error (ids that are inserted are fresh, each query is disputed at most
//! once), and rows are touched again and again so that a batch folds many
//! changes into one row. Shared by the backfill benchmark and the batching
//! test (`tests/batching.rs` includes this file).

use alloy::{
    primitives::{Address, Bytes, LogData, B256, U256},
    sol_types::SolEvent,
};
use strand_bindings::{datasets, gene, ledger, staking};

/// The programs in the order their transactions go into a block.
pub(crate) const PROGRAMS: [&str; 4] = ["gene", "staking", "datasets", "ledger"];

/// Operators: few, so their rows change often.
const OPERATORS: u64 = 8;

/// The state a stream needs to stay consistent.
pub(crate) struct Workload {
    rng: u64,
    holders: u64,
    datasets: u64,
    queries: u64,
    answered: u64,
    settled: u64,
    time: u64,
}

impl Workload {
    /// A stream among `holders` accounts, the same for the same `seed`.
    pub(crate) fn new(seed: u64, holders: u64) -> Self {
        Self {
            rng: seed,
            holders,
            datasets: 0,
            queries: 0,
            answered: 0,
            settled: 0,
            time: 1_700_000_000,
        }
    }

    /// At least `n` events of one block, grouped by program in
    /// [`PROGRAMS`] order (one transaction per program) and otherwise in
    /// the order they happened.
    pub(crate) fn block(&mut self, n: usize) -> Vec<(&'static str, LogData)> {
        self.time += 2;
        let mut out = Vec::with_capacity(n + 2);
        while out.len() < n {
            self.event(&mut out);
        }
        out.sort_by_key(|(p, _)| PROGRAMS.iter().position(|q| q == p));
        out
    }

    fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn holder(&mut self) -> Address {
        let i = self.below(self.holders);
        Address::left_padding_from(&(0x10_0000 + i).to_be_bytes())
    }

    fn operator(&mut self) -> Address {
        let i = self.below(OPERATORS);
        Address::left_padding_from(&(0x0f_0000 + i).to_be_bytes())
    }

    /// An amount of up to about 18 million GENE, in wei.
    fn amount(&mut self) -> U256 {
        U256::from(self.next() >> 8) * U256::from(1_000_000_000u64)
    }

    fn hash(&mut self) -> B256 {
        let mut b = [0u8; 32];
        for chunk in b.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_be_bytes());
        }
        B256::from(b)
    }

    /// A recent query, so that consents and claims pile up on few rows.
    fn recent_query(&mut self) -> u64 {
        self.queries - self.below(self.queries.min(16))
    }

    fn recent_dataset(&mut self) -> u64 {
        self.datasets - self.below(self.datasets.min(64))
    }

    fn event(&mut self, out: &mut Vec<(&'static str, LogData)>) {
        let r = self.below(1_000);
        let time = self.time;
        match r {
            800..=829 => {
                let e = gene::Approval {
                    owner: self.holder(),
                    spender: self.operator(),
                    value: self.amount(),
                };
                out.push(("gene", e.encode_log_data()));
            }
            830..=869 => {
                self.datasets += 1;
                let e = datasets::DatasetRegistered {
                    id: self.datasets,
                    owner: self.holder(),
                    operator: self.operator(),
                    commitment: self.hash(),
                };
                out.push(("datasets", e.encode_log_data()));
            }
            870..=874 if self.datasets > 0 => {
                let e = datasets::DatasetOperatorChanged {
                    id: self.recent_dataset(),
                    owner: self.holder(),
                    previous: self.operator(),
                    current: self.operator(),
                };
                out.push(("datasets", e.encode_log_data()));
            }
            875..=877 if self.datasets > 0 => {
                let e = datasets::DatasetDeactivated {
                    id: self.recent_dataset(),
                    owner: self.holder(),
                    at: time,
                };
                out.push(("datasets", e.encode_log_data()));
            }
            878..=919 if self.queries > 0 && self.datasets > 0 => {
                let e = ledger::ConsentDecided {
                    query: self.recent_query(),
                    dataset: self.recent_dataset(),
                    owner: self.holder(),
                    decision: 1 + self.below(3) as u8,
                    at: time,
                    approvals: self.below(100) as u32,
                };
                out.push(("ledger", e.encode_log_data()));
            }
            920..=929 => {
                self.queries += 1;
                let e = ledger::QuerySubmitted {
                    id: self.queries,
                    researcher: self.holder(),
                    operator: self.operator(),
                    specHash: self.hash(),
                    spec: Bytes::from(
                        format!("{{\"site\":\"2:{r}\",\"allele\":\"A\"}}").into_bytes(),
                    ),
                    purpose: "HMB".into(),
                    rewardPerConsent: self.amount(),
                    maxConsents: 20,
                    minConsents: 5,
                    consentDeadline: time + 3_600,
                    resultDeadline: time + 7_200,
                    researcherKey: Bytes::from(self.hash().to_vec()),
                    escrow: self.amount(),
                    operatorFee: self.amount(),
                    protocolFee: U256::from(self.below(1_000)),
                };
                out.push(("ledger", e.encode_log_data()));
            }
            930..=939 if self.queries > 0 && self.datasets > 0 => {
                let e = ledger::RewardClaimed {
                    query: self.recent_query(),
                    dataset: self.recent_dataset(),
                    owner: self.holder(),
                    amount: self.amount(),
                };
                out.push(("ledger", e.encode_log_data()));
            }
            940..=947 if self.answered < self.queries => {
                self.answered += 1;
                let e = ledger::ResultPosted {
                    query: self.answered,
                    operator: self.operator(),
                    commitment: self.hash(),
                    consentsUsed: self.below(20) as u32,
                    encryptedAnswer: Bytes::from(self.hash().to_vec()),
                    challengeDeadline: time + 600,
                };
                out.push(("ledger", e.encode_log_data()));
            }
            948..=955 if self.settled < self.answered => {
                self.settled += 1;
                self.settle(self.settled, out);
            }
            956..=969 => {
                let e = staking::Staked {
                    operator: self.operator(),
                    amount: self.amount(),
                    stake: self.amount() * U256::from(10),
                };
                out.push(("staking", e.encode_log_data()));
            }
            970..=975 => {
                let e = staking::UnstakeRequested {
                    operator: self.operator(),
                    amount: self.amount(),
                    unbonding: self.amount(),
                    releaseAt: time + 86_400,
                };
                out.push(("staking", e.encode_log_data()));
            }
            976..=979 => {
                let e = staking::Withdrawn { operator: self.operator(), amount: self.amount() };
                out.push(("staking", e.encode_log_data()));
            }
            980..=987 => {
                let e =
                    staking::EmissionsClaimed { operator: self.operator(), amount: self.amount() };
                out.push(("staking", e.encode_log_data()));
            }
            988..=991 => {
                let e = staking::EmissionsMinted {
                    amount: self.amount(),
                    rewardPerToken: self.amount(),
                };
                out.push(("staking", e.encode_log_data()));
            }
            992..=995 => {
                let e = staking::Slashed {
                    operator: self.operator(),
                    challenger: self.holder(),
                    slasher: self.holder(),
                    amount: self.amount(),
                    fromUnbonding: self.amount() / U256::from(4),
                    challengerReward: self.amount() / U256::from(10),
                    burned: self.amount() / U256::from(2),
                };
                out.push(("staking", e.encode_log_data()));
            }
            996..=999 => {
                let e = staking::Unjailed { operator: self.operator(), arbiter: self.holder() };
                out.push(("staking", e.encode_log_data()));
            }
            _ => {
                // Mints early on, a few burns, transfers otherwise.
                let from = if r < 20 { Address::ZERO } else { self.holder() };
                let to = if (20..24).contains(&r) { Address::ZERO } else { self.holder() };
                let e = gene::Transfer { from, to, value: self.amount() };
                out.push(("gene", e.encode_log_data()));
            }
        }
    }

    /// Ends an answered query's life: finalised, reclaimed, or disputed and
    /// then resolved either way or lapsed.
    fn settle(&mut self, query: u64, out: &mut Vec<(&'static str, LogData)>) {
        let e = match self.below(5) {
            0 | 1 => ledger::QueryFinalized {
                query,
                by: self.holder(),
                ownersPool: self.amount(),
                operatorFee: self.amount(),
                protocolFee: self.amount(),
                refund: self.amount(),
            }
            .encode_log_data(),
            2 => ledger::QueryReclaimed { query, researcher: self.holder(), amount: self.amount() }
                .encode_log_data(),
            _ => {
                let challenged = ledger::Challenged {
                    query,
                    challenger: self.holder(),
                    bond: self.amount(),
                    arbitrationDeadline: self.time + 900,
                };
                out.push(("ledger", challenged.encode_log_data()));
                if self.below(3) == 0 {
                    ledger::DisputeLapsed { query, challenger: self.holder(), bond: self.amount() }
                        .encode_log_data()
                } else {
                    ledger::DisputeResolved {
                        query,
                        arbiter: self.holder(),
                        upheld: self.below(2) == 0,
                        slashed: self.amount(),
                        refund: self.amount(),
                    }
                    .encode_log_data()
                }
            }
        };
        out.push(("ledger", e));
    }
}
