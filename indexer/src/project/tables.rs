//! The projection tables as rows in memory: read by key in one query per
//! table, written back in one statement per table, in key order, so that
//! the undo log records the same versions in the same order on every run.
//! NUMERIC columns travel as decimal text both ways, so no amount passes
//! through a float.

use std::{borrow::Borrow, collections::BTreeMap, fmt::Debug};

use alloy::primitives::aliases::I512;
use eyre::{bail, eyre, Result};
use sqlx::{FromRow, Postgres, Transaction};

pub(super) type Tx<'c> = Transaction<'c, Postgres>;

/// The rows of one table that a segment touches, as the database held
/// them and as the segment leaves them.
#[derive(Debug)]
pub(super) struct Table<K, R> {
    what: &'static str,
    slots: BTreeMap<K, Slot<R>>,
}

#[derive(Debug)]
struct Slot<R> {
    row: Option<R>,
    changed: bool,
}

impl<K: Ord + Debug, R> Table<K, R> {
    /// `keys` as read: those in `rows` exist, the others do not.
    fn read(what: &'static str, keys: Vec<K>, rows: impl IntoIterator<Item = (K, R)>) -> Self {
        let mut slots: BTreeMap<K, Slot<R>> =
            keys.into_iter().map(|k| (k, Slot { row: None, changed: false })).collect();
        for (k, row) in rows {
            slots.insert(k, Slot { row: Some(row), changed: false });
        }
        Self { what, slots }
    }

    fn slot<Q>(&mut self, key: &Q) -> Result<&mut Slot<R>>
    where
        K: Borrow<Q>,
        Q: Ord + Debug + ?Sized,
    {
        let what = self.what;
        self.slots.get_mut(key).ok_or_else(|| eyre!("{what} {key:?} was not read before the fold"))
    }

    /// The row, to change, if it exists (an UPDATE of a missing row
    /// changes nothing).
    pub(super) fn update<Q>(&mut self, key: &Q) -> Result<Option<&mut R>>
    where
        K: Borrow<Q>,
        Q: Ord + Debug + ?Sized,
    {
        let slot = self.slot(key)?;
        slot.changed |= slot.row.is_some();
        Ok(slot.row.as_mut())
    }

    /// Adds a row that must not exist yet.
    pub(super) fn insert(&mut self, key: &K, row: R) -> Result<()> {
        let what = self.what;
        let slot = self.slot(key)?;
        if slot.row.is_some() {
            bail!("{what} {key:?} exists already");
        }
        *slot = Slot { row: Some(row), changed: true };
        Ok(())
    }

    /// Changes the row with `update`, or adds `insert()` if there is none.
    pub(super) fn upsert(
        &mut self,
        key: &K,
        insert: impl FnOnce() -> R,
        update: impl FnOnce(&mut R),
    ) -> Result<()> {
        let slot = self.slot(key)?;
        match &mut slot.row {
            Some(row) => update(row),
            None => slot.row = Some(insert()),
        }
        slot.changed = true;
        Ok(())
    }

    fn changed(&self) -> impl Iterator<Item = &R> {
        self.slots.values().filter(|s| s.changed).filter_map(|s| s.row.as_ref())
    }
}

/// `a + b` for NUMERIC columns, as decimal text.
pub(super) fn add(a: &str, b: &str) -> Result<String> {
    let sum = number(a)?.checked_add(number(b)?).ok_or_else(|| eyre!("{a} + {b} overflows"))?;
    Ok(sum.to_string())
}

/// `a - b` for NUMERIC columns, as decimal text.
pub(super) fn sub(a: &str, b: &str) -> Result<String> {
    let diff = number(a)?.checked_sub(number(b)?).ok_or_else(|| eyre!("{a} - {b} overflows"))?;
    Ok(diff.to_string())
}

/// A decimal integer, as NUMERIC(78,0) holds it (any uint256, signed).
pub(super) fn number(s: &str) -> Result<I512> {
    I512::from_dec_str(s).map_err(|e| eyre!("{s:?} is not a decimal integer: {e}"))
}

#[derive(Clone, Debug, FromRow)]
pub(super) struct Dataset {
    pub(super) id: String,
    pub(super) owner: Vec<u8>,
    pub(super) operator: Vec<u8>,
    pub(super) commitment: Vec<u8>,
    pub(super) active: bool,
    pub(super) deactivated_at: Option<String>,
    pub(super) updated_block: i64,
}

#[derive(Clone, Debug, FromRow)]
pub(super) struct Query {
    pub(super) id: String,
    pub(super) researcher: Vec<u8>,
    pub(super) operator: Vec<u8>,
    pub(super) spec_hash: Vec<u8>,
    pub(super) spec: Vec<u8>,
    pub(super) purpose: String,
    pub(super) reward_per_consent: String,
    pub(super) max_consents: i64,
    pub(super) min_consents: i64,
    pub(super) consent_deadline: String,
    pub(super) result_deadline: String,
    pub(super) researcher_key: Vec<u8>,
    pub(super) escrow: String,
    pub(super) operator_fee: String,
    pub(super) protocol_fee: String,
    pub(super) state: String,
    pub(super) approvals: i64,
    pub(super) consents_used: Option<i64>,
    pub(super) result_commitment: Option<Vec<u8>>,
    pub(super) encrypted_answer: Option<Vec<u8>>,
    pub(super) challenge_deadline: Option<String>,
    pub(super) owners_pool: Option<String>,
    pub(super) refund: Option<String>,
    pub(super) owners_paid: String,
    pub(super) submitted_block: i64,
    pub(super) submit_tx: Vec<u8>,
    pub(super) updated_block: i64,
}

#[derive(Clone, Debug, FromRow)]
pub(super) struct Consent {
    pub(super) query: String,
    pub(super) dataset: String,
    pub(super) owner: Vec<u8>,
    pub(super) decision: String,
    pub(super) decided_at: String,
    pub(super) reward_paid: Option<String>,
    pub(super) updated_block: i64,
}

#[derive(Clone, Debug, FromRow)]
pub(super) struct Dispute {
    pub(super) query: String,
    pub(super) challenger: Vec<u8>,
    pub(super) bond: String,
    pub(super) arbitration_deadline: String,
    pub(super) outcome: String,
    pub(super) arbiter: Option<Vec<u8>>,
    pub(super) slashed: Option<String>,
    pub(super) refund: Option<String>,
    pub(super) updated_block: i64,
}

#[derive(Clone, Debug, FromRow)]
pub(super) struct Operator {
    pub(super) address: Vec<u8>,
    pub(super) stake: String,
    pub(super) unbonding: String,
    pub(super) release_at: Option<String>,
    pub(super) jailed: bool,
    pub(super) emissions_claimed: String,
    pub(super) slashed_total: String,
    pub(super) updated_block: i64,
}

/// Keys to read, by table.
#[derive(Debug, Default)]
pub(super) struct Keys {
    pub(super) datasets: Vec<String>,
    pub(super) queries: Vec<String>,
    pub(super) consents: Vec<(String, String)>,
    pub(super) disputes: Vec<String>,
    pub(super) operators: Vec<Vec<u8>>,
}

/// Every row a segment touches, read in one query per table.
#[derive(Debug)]
pub(super) struct Rows {
    pub(super) datasets: Table<String, Dataset>,
    pub(super) queries: Table<String, Query>,
    pub(super) consents: Table<(String, String), Consent>,
    pub(super) disputes: Table<String, Dispute>,
    pub(super) operators: Table<Vec<u8>, Operator>,
}

impl Keys {
    fn dedup(&mut self) {
        fn once<T: Ord>(v: &mut Vec<T>) {
            v.sort_unstable();
            v.dedup();
        }
        once(&mut self.datasets);
        once(&mut self.queries);
        once(&mut self.consents);
        once(&mut self.disputes);
        once(&mut self.operators);
    }

    /// Reads the rows these keys name.
    pub(super) async fn read(mut self, tx: &mut Tx<'_>) -> Result<Rows> {
        self.dedup();
        let datasets: Vec<Dataset> = select(
            tx,
            "SELECT id::TEXT AS id, owner, operator, commitment, active,
                    deactivated_at::TEXT AS deactivated_at, updated_block
             FROM datasets WHERE id = ANY($1::TEXT[]::NUMERIC[])",
            &self.datasets,
        )
        .await?;
        let queries: Vec<Query> = select(
            tx,
            "SELECT id::TEXT AS id, researcher, operator, spec_hash, spec, purpose,
                    reward_per_consent::TEXT AS reward_per_consent, max_consents, min_consents,
                    consent_deadline::TEXT AS consent_deadline, result_deadline::TEXT AS result_deadline,
                    researcher_key, escrow::TEXT AS escrow, operator_fee::TEXT AS operator_fee,
                    protocol_fee::TEXT AS protocol_fee, state, approvals, consents_used,
                    result_commitment, encrypted_answer, challenge_deadline::TEXT AS challenge_deadline,
                    owners_pool::TEXT AS owners_pool, refund::TEXT AS refund,
                    owners_paid::TEXT AS owners_paid, submitted_block, submit_tx, updated_block
             FROM queries WHERE id = ANY($1::TEXT[]::NUMERIC[])",
            &self.queries,
        )
        .await?;
        let consents: Vec<Consent> = if self.consents.is_empty() {
            Vec::new()
        } else {
            let (q, d): (Vec<&str>, Vec<&str>) =
                self.consents.iter().map(|(q, d)| (q.as_str(), d.as_str())).unzip();
            sqlx::query_as(
                "SELECT query::TEXT AS query, dataset::TEXT AS dataset, owner, decision,
                        decided_at::TEXT AS decided_at, reward_paid::TEXT AS reward_paid, updated_block
                 FROM consents
                 WHERE (query, dataset) IN (SELECT q::NUMERIC, d::NUMERIC
                                            FROM UNNEST($1::TEXT[], $2::TEXT[]) AS u(q, d))",
            )
            .bind(q)
            .bind(d)
            .fetch_all(&mut **tx)
            .await?
        };
        let disputes: Vec<Dispute> = select(
            tx,
            "SELECT query::TEXT AS query, challenger, bond::TEXT AS bond,
                    arbitration_deadline::TEXT AS arbitration_deadline, outcome, arbiter,
                    slashed::TEXT AS slashed, refund::TEXT AS refund, updated_block
             FROM disputes WHERE query = ANY($1::TEXT[]::NUMERIC[])",
            &self.disputes,
        )
        .await?;
        let operators: Vec<Operator> = select(
            tx,
            "SELECT address, stake::TEXT AS stake, unbonding::TEXT AS unbonding,
                    release_at::TEXT AS release_at, jailed, emissions_claimed::TEXT AS emissions_claimed,
                    slashed_total::TEXT AS slashed_total, updated_block
             FROM operators WHERE address = ANY($1::BYTEA[])",
            &self.operators,
        )
        .await?;
        Ok(Rows {
            datasets: Table::read(
                "dataset",
                self.datasets,
                datasets.into_iter().map(|r| (r.id.clone(), r)),
            ),
            queries: Table::read(
                "query",
                self.queries,
                queries.into_iter().map(|r| (r.id.clone(), r)),
            ),
            consents: Table::read(
                "consent",
                self.consents,
                consents.into_iter().map(|r| ((r.query.clone(), r.dataset.clone()), r)),
            ),
            disputes: Table::read(
                "dispute",
                self.disputes,
                disputes.into_iter().map(|r| (r.query.clone(), r)),
            ),
            operators: Table::read(
                "operator",
                self.operators,
                operators.into_iter().map(|r| (r.address.clone(), r)),
            ),
        })
    }
}

/// The rows whose key is one of `keys`; no query when there are none.
async fn select<R, K>(tx: &mut Tx<'_>, sql: &'static str, keys: &[K]) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    K: sqlx::Type<Postgres> + for<'q> sqlx::Encode<'q, Postgres> + Sync,
    for<'q> &'q [K]: sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
{
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sql).bind(keys).fetch_all(&mut **tx).await?)
}

impl Rows {
    /// Writes back every row the fold changed: one statement per table.
    /// Inside the reorg window the undo trigger records each row's version
    /// before the segment.
    pub(super) async fn write(&self, tx: &mut Tx<'_>) -> Result<()> {
        self.write_datasets(tx).await?;
        self.write_queries(tx).await?;
        self.write_consents(tx).await?;
        self.write_disputes(tx).await?;
        self.write_operators(tx).await
    }

    async fn write_datasets(&self, tx: &mut Tx<'_>) -> Result<()> {
        let rows: Vec<&Dataset> = self.datasets.changed().collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO datasets (id, owner, operator, commitment, active, deactivated_at, updated_block)
             SELECT id::NUMERIC, owner, operator, commitment, active, deactivated_at::NUMERIC, updated_block
             FROM UNNEST($1::TEXT[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[], $5::BOOL[], $6::TEXT[], $7::BIGINT[])
                  AS u(id, owner, operator, commitment, active, deactivated_at, updated_block)
             ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, operator = EXCLUDED.operator,
               commitment = EXCLUDED.commitment, active = EXCLUDED.active,
               deactivated_at = EXCLUDED.deactivated_at, updated_block = EXCLUDED.updated_block",
        )
        .bind(column(&rows, |r| r.id.clone()))
        .bind(column(&rows, |r| r.owner.clone()))
        .bind(column(&rows, |r| r.operator.clone()))
        .bind(column(&rows, |r| r.commitment.clone()))
        .bind(column(&rows, |r| r.active))
        .bind(column(&rows, |r| r.deactivated_at.clone()))
        .bind(column(&rows, |r| r.updated_block))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn write_queries(&self, tx: &mut Tx<'_>) -> Result<()> {
        let rows: Vec<&Query> = self.queries.changed().collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO queries (id, researcher, operator, spec_hash, spec, purpose, reward_per_consent,
                 max_consents, min_consents, consent_deadline, result_deadline, researcher_key, escrow,
                 operator_fee, protocol_fee, state, approvals, consents_used, result_commitment,
                 encrypted_answer, challenge_deadline, owners_pool, refund, owners_paid, submitted_block,
                 submit_tx, updated_block)
             SELECT id::NUMERIC, researcher, operator, spec_hash, spec, purpose, reward_per_consent::NUMERIC,
                 max_consents, min_consents, consent_deadline::NUMERIC, result_deadline::NUMERIC,
                 researcher_key, escrow::NUMERIC, operator_fee::NUMERIC, protocol_fee::NUMERIC, state,
                 approvals, consents_used, result_commitment, encrypted_answer,
                 challenge_deadline::NUMERIC, owners_pool::NUMERIC, refund::NUMERIC, owners_paid::NUMERIC,
                 submitted_block, submit_tx, updated_block
             FROM UNNEST($1::TEXT[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[],
                 $7::TEXT[], $8::BIGINT[], $9::BIGINT[], $10::TEXT[], $11::TEXT[], $12::BYTEA[], $13::TEXT[],
                 $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::BIGINT[], $18::BIGINT[], $19::BYTEA[],
                 $20::BYTEA[], $21::TEXT[], $22::TEXT[], $23::TEXT[], $24::TEXT[], $25::BIGINT[],
                 $26::BYTEA[], $27::BIGINT[])
               AS u(id, researcher, operator, spec_hash, spec, purpose, reward_per_consent, max_consents,
                 min_consents, consent_deadline, result_deadline, researcher_key, escrow, operator_fee,
                 protocol_fee, state, approvals, consents_used, result_commitment, encrypted_answer,
                 challenge_deadline, owners_pool, refund, owners_paid, submitted_block, submit_tx,
                 updated_block)
             ON CONFLICT (id) DO UPDATE SET researcher = EXCLUDED.researcher, operator = EXCLUDED.operator,
               spec_hash = EXCLUDED.spec_hash, spec = EXCLUDED.spec, purpose = EXCLUDED.purpose,
               reward_per_consent = EXCLUDED.reward_per_consent, max_consents = EXCLUDED.max_consents,
               min_consents = EXCLUDED.min_consents, consent_deadline = EXCLUDED.consent_deadline,
               result_deadline = EXCLUDED.result_deadline, researcher_key = EXCLUDED.researcher_key,
               escrow = EXCLUDED.escrow, operator_fee = EXCLUDED.operator_fee,
               protocol_fee = EXCLUDED.protocol_fee, state = EXCLUDED.state,
               approvals = EXCLUDED.approvals, consents_used = EXCLUDED.consents_used,
               result_commitment = EXCLUDED.result_commitment,
               encrypted_answer = EXCLUDED.encrypted_answer,
               challenge_deadline = EXCLUDED.challenge_deadline, owners_pool = EXCLUDED.owners_pool,
               refund = EXCLUDED.refund, owners_paid = EXCLUDED.owners_paid,
               submitted_block = EXCLUDED.submitted_block, submit_tx = EXCLUDED.submit_tx,
               updated_block = EXCLUDED.updated_block",
        )
        .bind(column(&rows, |r| r.id.clone()))
        .bind(column(&rows, |r| r.researcher.clone()))
        .bind(column(&rows, |r| r.operator.clone()))
        .bind(column(&rows, |r| r.spec_hash.clone()))
        .bind(column(&rows, |r| r.spec.clone()))
        .bind(column(&rows, |r| r.purpose.clone()))
        .bind(column(&rows, |r| r.reward_per_consent.clone()))
        .bind(column(&rows, |r| r.max_consents))
        .bind(column(&rows, |r| r.min_consents))
        .bind(column(&rows, |r| r.consent_deadline.clone()))
        .bind(column(&rows, |r| r.result_deadline.clone()))
        .bind(column(&rows, |r| r.researcher_key.clone()))
        .bind(column(&rows, |r| r.escrow.clone()))
        .bind(column(&rows, |r| r.operator_fee.clone()))
        .bind(column(&rows, |r| r.protocol_fee.clone()))
        .bind(column(&rows, |r| r.state.clone()))
        .bind(column(&rows, |r| r.approvals))
        .bind(column(&rows, |r| r.consents_used))
        .bind(column(&rows, |r| r.result_commitment.clone()))
        .bind(column(&rows, |r| r.encrypted_answer.clone()))
        .bind(column(&rows, |r| r.challenge_deadline.clone()))
        .bind(column(&rows, |r| r.owners_pool.clone()))
        .bind(column(&rows, |r| r.refund.clone()))
        .bind(column(&rows, |r| r.owners_paid.clone()))
        .bind(column(&rows, |r| r.submitted_block))
        .bind(column(&rows, |r| r.submit_tx.clone()))
        .bind(column(&rows, |r| r.updated_block))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn write_consents(&self, tx: &mut Tx<'_>) -> Result<()> {
        let rows: Vec<&Consent> = self.consents.changed().collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO consents (query, dataset, owner, decision, decided_at, reward_paid, updated_block)
             SELECT query::NUMERIC, dataset::NUMERIC, owner, decision, decided_at::NUMERIC,
                    reward_paid::NUMERIC, updated_block
             FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BYTEA[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BIGINT[])
                  AS u(query, dataset, owner, decision, decided_at, reward_paid, updated_block)
             ON CONFLICT (query, dataset) DO UPDATE SET owner = EXCLUDED.owner,
               decision = EXCLUDED.decision, decided_at = EXCLUDED.decided_at,
               reward_paid = EXCLUDED.reward_paid, updated_block = EXCLUDED.updated_block",
        )
        .bind(column(&rows, |r| r.query.clone()))
        .bind(column(&rows, |r| r.dataset.clone()))
        .bind(column(&rows, |r| r.owner.clone()))
        .bind(column(&rows, |r| r.decision.clone()))
        .bind(column(&rows, |r| r.decided_at.clone()))
        .bind(column(&rows, |r| r.reward_paid.clone()))
        .bind(column(&rows, |r| r.updated_block))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn write_disputes(&self, tx: &mut Tx<'_>) -> Result<()> {
        let rows: Vec<&Dispute> = self.disputes.changed().collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO disputes (query, challenger, bond, arbitration_deadline, outcome, arbiter, slashed,
                 refund, updated_block)
             SELECT query::NUMERIC, challenger, bond::NUMERIC, arbitration_deadline::NUMERIC, outcome,
                    arbiter, slashed::NUMERIC, refund::NUMERIC, updated_block
             FROM UNNEST($1::TEXT[], $2::BYTEA[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BYTEA[],
                         $7::TEXT[], $8::TEXT[], $9::BIGINT[])
                  AS u(query, challenger, bond, arbitration_deadline, outcome, arbiter, slashed, refund,
                       updated_block)
             ON CONFLICT (query) DO UPDATE SET challenger = EXCLUDED.challenger, bond = EXCLUDED.bond,
               arbitration_deadline = EXCLUDED.arbitration_deadline, outcome = EXCLUDED.outcome,
               arbiter = EXCLUDED.arbiter, slashed = EXCLUDED.slashed, refund = EXCLUDED.refund,
               updated_block = EXCLUDED.updated_block",
        )
        .bind(column(&rows, |r| r.query.clone()))
        .bind(column(&rows, |r| r.challenger.clone()))
        .bind(column(&rows, |r| r.bond.clone()))
        .bind(column(&rows, |r| r.arbitration_deadline.clone()))
        .bind(column(&rows, |r| r.outcome.clone()))
        .bind(column(&rows, |r| r.arbiter.clone()))
        .bind(column(&rows, |r| r.slashed.clone()))
        .bind(column(&rows, |r| r.refund.clone()))
        .bind(column(&rows, |r| r.updated_block))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn write_operators(&self, tx: &mut Tx<'_>) -> Result<()> {
        let rows: Vec<&Operator> = self.operators.changed().collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO operators (address, stake, unbonding, release_at, jailed, emissions_claimed,
                 slashed_total, updated_block)
             SELECT address, stake::NUMERIC, unbonding::NUMERIC, release_at::NUMERIC, jailed,
                    emissions_claimed::NUMERIC, slashed_total::NUMERIC, updated_block
             FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BOOL[], $6::TEXT[],
                         $7::TEXT[], $8::BIGINT[])
                  AS u(address, stake, unbonding, release_at, jailed, emissions_claimed, slashed_total,
                       updated_block)
             ON CONFLICT (address) DO UPDATE SET stake = EXCLUDED.stake,
               unbonding = EXCLUDED.unbonding, release_at = EXCLUDED.release_at,
               jailed = EXCLUDED.jailed, emissions_claimed = EXCLUDED.emissions_claimed,
               slashed_total = EXCLUDED.slashed_total, updated_block = EXCLUDED.updated_block",
        )
        .bind(column(&rows, |r| r.address.clone()))
        .bind(column(&rows, |r| r.stake.clone()))
        .bind(column(&rows, |r| r.unbonding.clone()))
        .bind(column(&rows, |r| r.release_at.clone()))
        .bind(column(&rows, |r| r.jailed))
        .bind(column(&rows, |r| r.emissions_claimed.clone()))
        .bind(column(&rows, |r| r.slashed_total.clone()))
        .bind(column(&rows, |r| r.updated_block))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Adds each address's net change of balance (and the last block that
/// changed it) in one upsert; an address new to the table starts from its
/// change, as a first transfer in or out does.
pub(super) async fn add_to_balances(
    tx: &mut Tx<'_>,
    changes: &BTreeMap<[u8; 20], (I512, i64)>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut addresses = Vec::with_capacity(changes.len());
    let mut deltas = Vec::with_capacity(changes.len());
    let mut blocks = Vec::with_capacity(changes.len());
    for (address, (delta, block)) in changes {
        addresses.push(address.to_vec());
        deltas.push(delta.to_string());
        blocks.push(*block);
    }
    sqlx::query(
        "INSERT INTO balances (address, balance, updated_block)
         SELECT a, d::NUMERIC, b FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::BIGINT[]) AS u(a, d, b)
         ON CONFLICT (address) DO UPDATE SET balance = balances.balance + EXCLUDED.balance,
           updated_block = EXCLUDED.updated_block",
    )
    .bind(addresses)
    .bind(deltas)
    .bind(blocks)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn column<R, T>(rows: &[&R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(|r| f(r)).collect()
}
