//! Folding events into the projections: current datasets, queries,
//! consents, disputes, operators and balances. Each event changes rows by
//! what it carries alone, so the projections can be rebuilt from the
//! stream without calling the chain.
//!
//! Events are folded a segment at a time (a backfill batch, or one block
//! inside the reorg window): the rows the segment touches are read in one
//! query per table, every event changes them in memory in chain order just
//! as its own UPDATE or INSERT would, and each changed row is written back
//! once, in one statement per table. Balances are not read: each address's
//! net change is added in one upsert. So inside the window the undo log
//! holds a row's version from before the block that changed it, which is
//! all a rollback to a block boundary needs.

mod tables;

use std::collections::BTreeMap;

use alloy::primitives::{aliases::I512, Address};
use eyre::{eyre, Result, WrapErr};

use crate::store::EventRow;
use tables::{add, number, sub, Consent, Dataset, Dispute, Keys, Operator, Query, Rows, Tx};

fn arg<'a>(e: &'a EventRow, name: &str) -> Result<&'a str> {
    e.args.get(name).and_then(|v| v.as_str()).ok_or_else(|| eyre!("{} has no {name}", e.name))
}

fn addr(e: &EventRow, name: &str) -> Result<Vec<u8>> {
    Ok(arg(e, name)?.parse::<Address>()?.to_vec())
}

fn bytes(e: &EventRow, name: &str) -> Result<Vec<u8>> {
    Ok(alloy::hex::decode(arg(e, name)?)?)
}

fn flag(e: &EventRow, name: &str) -> Result<bool> {
    e.args.get(name).and_then(|v| v.as_bool()).ok_or_else(|| eyre!("{} has no {name}", e.name))
}

fn text(e: &EventRow, name: &str) -> Result<String> {
    arg(e, name).map(str::to_string)
}

const DECISIONS: [&str; 4] = ["none", "approved", "denied", "revoked"];

/// Applies `events`, in order, to the projections: the same rows as
/// applying them one by one, written once each.
pub async fn apply(tx: &mut Tx<'_>, events: &[&EventRow]) -> Result<()> {
    let mut keys = Keys::default();
    for e in events {
        touches(e, &mut keys).wrap_err_with(|| context(e))?;
    }
    let mut fold = Fold { rows: keys.read(tx).await?, balances: BTreeMap::new() };
    for e in events {
        fold.event(e).wrap_err_with(|| context(e))?;
    }
    fold.rows.write(tx).await?;
    tables::add_to_balances(tx, &fold.balances).await
}

fn context(e: &EventRow) -> String {
    format!("projecting {} in block {}", e.name, e.block_number)
}

/// Notes the rows `e` reads or changes.
fn touches(e: &EventRow, keys: &mut Keys) -> Result<()> {
    match (e.program, e.name.as_str()) {
        ("datasets", "DatasetRegistered" | "DatasetOperatorChanged" | "DatasetDeactivated") => {
            keys.datasets.push(text(e, "id")?);
        }
        ("ledger", "QuerySubmitted") => keys.queries.push(text(e, "id")?),
        ("ledger", "ConsentDecided" | "RewardClaimed") => {
            keys.consents.push((text(e, "query")?, text(e, "dataset")?));
            keys.queries.push(text(e, "query")?);
        }
        ("ledger", "ResultPosted" | "QueryFinalized" | "QueryReclaimed") => {
            keys.queries.push(text(e, "query")?);
        }
        ("ledger", "Challenged" | "DisputeResolved") => {
            keys.disputes.push(text(e, "query")?);
            keys.queries.push(text(e, "query")?);
        }
        ("ledger", "DisputeLapsed") => keys.disputes.push(text(e, "query")?),
        (
            "staking",
            "Staked" | "UnstakeRequested" | "Withdrawn" | "EmissionsClaimed" | "Slashed"
            | "Unjailed",
        ) => keys.operators.push(addr(e, "operator")?),
        _ => {}
    }
    Ok(())
}

/// The projection rows a segment touches, as its events leave them.
struct Fold {
    rows: Rows,
    /// Net change of balance and the last block that changed it, by address.
    balances: BTreeMap<[u8; 20], (I512, i64)>,
}

impl Fold {
    /// Applies `e` as its statement would: an UPDATE of a missing row
    /// changes nothing, an INSERT of an existing one fails.
    fn event(&mut self, e: &EventRow) -> Result<()> {
        let block = i64::try_from(e.block_number)?;
        let rows = &mut self.rows;
        match (e.program, e.name.as_str()) {
            ("datasets", "DatasetRegistered") => {
                let id = text(e, "id")?;
                let row = Dataset {
                    id: id.clone(),
                    owner: addr(e, "owner")?,
                    operator: addr(e, "operator")?,
                    commitment: bytes(e, "commitment")?,
                    active: true,
                    deactivated_at: None,
                    updated_block: block,
                };
                rows.datasets.insert(&id, row)?;
            }
            ("datasets", "DatasetOperatorChanged") => {
                let operator = addr(e, "current")?;
                if let Some(d) = rows.datasets.update(&text(e, "id")?)? {
                    d.operator = operator;
                    d.updated_block = block;
                }
            }
            ("datasets", "DatasetDeactivated") => {
                let at = text(e, "at")?;
                if let Some(d) = rows.datasets.update(&text(e, "id")?)? {
                    d.active = false;
                    d.deactivated_at = Some(at);
                    d.updated_block = block;
                }
            }
            ("ledger", "QuerySubmitted") => {
                let id = text(e, "id")?;
                let row = Query {
                    id: id.clone(),
                    researcher: addr(e, "researcher")?,
                    operator: addr(e, "operator")?,
                    spec_hash: bytes(e, "specHash")?,
                    spec: bytes(e, "spec")?,
                    purpose: text(e, "purpose")?,
                    reward_per_consent: text(e, "rewardPerConsent")?,
                    max_consents: arg(e, "maxConsents")?.parse()?,
                    min_consents: arg(e, "minConsents")?.parse()?,
                    consent_deadline: text(e, "consentDeadline")?,
                    result_deadline: text(e, "resultDeadline")?,
                    researcher_key: bytes(e, "researcherKey")?,
                    escrow: text(e, "escrow")?,
                    operator_fee: text(e, "operatorFee")?,
                    protocol_fee: text(e, "protocolFee")?,
                    state: "open".into(),
                    approvals: 0,
                    consents_used: None,
                    result_commitment: None,
                    encrypted_answer: None,
                    challenge_deadline: None,
                    owners_pool: None,
                    refund: None,
                    owners_paid: "0".into(),
                    submitted_block: block,
                    submit_tx: e.tx_hash.to_vec(),
                    updated_block: block,
                };
                rows.queries.insert(&id, row)?;
            }
            ("ledger", "ConsentDecided") => {
                let decision = arg(e, "decision")?.parse::<usize>()?;
                let decision =
                    DECISIONS.get(decision).ok_or_else(|| eyre!("unknown decision {decision}"))?;
                let (query, dataset) = (text(e, "query")?, text(e, "dataset")?);
                let (owner, at) = (addr(e, "owner")?, text(e, "at")?);
                let approvals: i64 = arg(e, "approvals")?.parse()?;
                let key = (query.clone(), dataset.clone());
                let row = Consent {
                    query: query.clone(),
                    dataset,
                    owner: owner.clone(),
                    decision: decision.to_string(),
                    decided_at: at.clone(),
                    reward_paid: None,
                    updated_block: block,
                };
                rows.consents.upsert(
                    &key,
                    || row,
                    |c| {
                        c.owner = owner;
                        c.decision = decision.to_string();
                        c.decided_at = at;
                        c.updated_block = block;
                    },
                )?;
                if let Some(q) = rows.queries.update(&query)? {
                    q.approvals = approvals;
                    q.updated_block = block;
                }
            }
            ("ledger", "ResultPosted") => {
                let consents_used = arg(e, "consentsUsed")?.parse()?;
                let (commitment, answer) = (bytes(e, "commitment")?, bytes(e, "encryptedAnswer")?);
                let deadline = text(e, "challengeDeadline")?;
                if let Some(q) = rows.queries.update(&text(e, "query")?)? {
                    q.state = "answered".into();
                    q.consents_used = Some(consents_used);
                    q.result_commitment = Some(commitment);
                    q.encrypted_answer = Some(answer);
                    q.challenge_deadline = Some(deadline);
                    q.updated_block = block;
                }
            }
            ("ledger", "Challenged") => {
                let query = text(e, "query")?;
                let row = Dispute {
                    query: query.clone(),
                    challenger: addr(e, "challenger")?,
                    bond: text(e, "bond")?,
                    arbitration_deadline: text(e, "arbitrationDeadline")?,
                    outcome: "open".into(),
                    arbiter: None,
                    slashed: None,
                    refund: None,
                    updated_block: block,
                };
                rows.disputes.insert(&query, row)?;
                set_state(rows, &query, "disputed", block)?;
            }
            ("ledger", "DisputeResolved") => {
                let (query, upheld) = (text(e, "query")?, flag(e, "upheld")?);
                let (arbiter, slashed, refund) =
                    (addr(e, "arbiter")?, text(e, "slashed")?, text(e, "refund")?);
                if let Some(d) = rows.disputes.update(&query)? {
                    d.outcome = if upheld { "upheld" } else { "rejected" }.into();
                    d.arbiter = Some(arbiter);
                    d.slashed = Some(slashed);
                    d.refund = Some(refund.clone());
                    d.updated_block = block;
                }
                if !upheld {
                    set_state(rows, &query, "answered", block)?;
                } else if let Some(q) = rows.queries.update(&query)? {
                    q.state = "refunded".into();
                    q.refund = Some(refund);
                    q.updated_block = block;
                }
            }
            ("ledger", "DisputeLapsed") => {
                if let Some(d) = rows.disputes.update(&text(e, "query")?)? {
                    d.outcome = "lapsed".into();
                    d.updated_block = block;
                }
            }
            ("ledger", "QueryFinalized") => {
                let (pool, refund) = (text(e, "ownersPool")?, text(e, "refund")?);
                if let Some(q) = rows.queries.update(&text(e, "query")?)? {
                    q.state = "finalised".into();
                    q.owners_pool = Some(pool);
                    q.refund = Some(refund);
                    q.updated_block = block;
                }
            }
            ("ledger", "QueryReclaimed") => {
                let amount = text(e, "amount")?;
                if let Some(q) = rows.queries.update(&text(e, "query")?)? {
                    q.state = "reclaimed".into();
                    q.refund = Some(amount);
                    q.updated_block = block;
                }
            }
            ("ledger", "RewardClaimed") => {
                let (query, amount) = (text(e, "query")?, text(e, "amount")?);
                if let Some(c) = rows.consents.update(&(query.clone(), text(e, "dataset")?))? {
                    c.reward_paid = Some(amount.clone());
                    c.updated_block = block;
                }
                if let Some(q) = rows.queries.update(&query)? {
                    q.owners_paid = add(&q.owners_paid, &amount)?;
                    q.updated_block = block;
                }
            }
            ("staking", "Staked") => {
                let (operator, stake) = (addr(e, "operator")?, text(e, "stake")?);
                let row = Operator {
                    address: operator.clone(),
                    stake: stake.clone(),
                    unbonding: "0".into(),
                    release_at: None,
                    jailed: false,
                    emissions_claimed: "0".into(),
                    slashed_total: "0".into(),
                    updated_block: block,
                };
                rows.operators.upsert(
                    &operator,
                    || row,
                    |o| {
                        o.stake = stake;
                        o.updated_block = block;
                    },
                )?;
            }
            ("staking", "UnstakeRequested") => {
                let (amount, unbonding) = (text(e, "amount")?, text(e, "unbonding")?);
                let release_at = text(e, "releaseAt")?;
                if let Some(o) = rows.operators.update(&addr(e, "operator")?)? {
                    o.stake = sub(&o.stake, &amount)?;
                    o.unbonding = unbonding;
                    o.release_at = Some(release_at);
                    o.updated_block = block;
                }
            }
            ("staking", "Withdrawn") => {
                let amount = text(e, "amount")?;
                if let Some(o) = rows.operators.update(&addr(e, "operator")?)? {
                    o.unbonding = sub(&o.unbonding, &amount)?;
                    o.updated_block = block;
                }
            }
            ("staking", "EmissionsClaimed") => {
                let amount = text(e, "amount")?;
                if let Some(o) = rows.operators.update(&addr(e, "operator")?)? {
                    o.emissions_claimed = add(&o.emissions_claimed, &amount)?;
                    o.updated_block = block;
                }
            }
            ("staking", "Slashed") => {
                let (amount, from_unbonding) = (text(e, "amount")?, text(e, "fromUnbonding")?);
                if let Some(o) = rows.operators.update(&addr(e, "operator")?)? {
                    o.stake = sub(&o.stake, &sub(&amount, &from_unbonding)?)?;
                    o.unbonding = sub(&o.unbonding, &from_unbonding)?;
                    o.jailed = true;
                    o.slashed_total = add(&o.slashed_total, &amount)?;
                    o.updated_block = block;
                }
            }
            ("staking", "Unjailed") => {
                if let Some(o) = rows.operators.update(&addr(e, "operator")?)? {
                    o.jailed = false;
                    o.updated_block = block;
                }
            }
            ("gene", "Transfer") => {
                let value = number(arg(e, "value")?)?;
                for (who, sign) in [("from", -1), ("to", 1)] {
                    let account: Address = arg(e, who)?.parse()?;
                    if account == Address::ZERO {
                        continue; // mint or burn: no balance on the zero address
                    }
                    let (delta, last) = self.balances.entry(account.0 .0).or_default();
                    let changed =
                        if sign < 0 { delta.checked_sub(value) } else { delta.checked_add(value) };
                    *delta = changed.ok_or_else(|| eyre!("the balance of {account} overflows"))?;
                    *last = block;
                }
            }
            // Every other event (roles, parameters, approvals, emissions
            // minted) lives in the event stream only.
            _ => {}
        }
        Ok(())
    }
}

fn set_state(rows: &mut Rows, query: &str, state: &str, block: i64) -> Result<()> {
    if let Some(q) = rows.queries.update(query)? {
        q.state = state.into();
        q.updated_block = block;
    }
    Ok(())
}
