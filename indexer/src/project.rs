//! Folding each event into the projections: current datasets, queries,
//! consents, disputes, operators and balances. Each event changes rows by
//! what it carries alone, so the projections can be rebuilt from the
//! stream without calling the chain.

use alloy::primitives::Address;
use eyre::{eyre, Result};
use sqlx::{Postgres, Transaction};

use crate::store::EventRow;

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

const DECISIONS: [&str; 4] = ["none", "approved", "denied", "revoked"];

/// Applies `e` to the projections.
pub async fn apply(tx: &mut Transaction<'_, Postgres>, e: &EventRow) -> Result<()> {
    let block = i64::try_from(e.block_number)?;
    let q = |sql: &'static str| sqlx::query(sql);
    match (e.program, e.name.as_str()) {
        ("datasets", "DatasetRegistered") => {
            q("INSERT INTO datasets (id, owner, operator, commitment, active, updated_block)
               VALUES ($1::NUMERIC, $2, $3, $4, TRUE, $5)")
            .bind(arg(e, "id")?)
            .bind(addr(e, "owner")?)
            .bind(addr(e, "operator")?)
            .bind(bytes(e, "commitment")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("datasets", "DatasetOperatorChanged") => {
            q("UPDATE datasets SET operator = $2, updated_block = $3 WHERE id = $1::NUMERIC")
                .bind(arg(e, "id")?)
                .bind(addr(e, "current")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("datasets", "DatasetDeactivated") => {
            q("UPDATE datasets SET active = FALSE, deactivated_at = $2::NUMERIC, updated_block = $3 WHERE id = $1::NUMERIC")
                .bind(arg(e, "id")?)
                .bind(arg(e, "at")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("ledger", "QuerySubmitted") => {
            q("INSERT INTO queries (id, researcher, operator, spec_hash, spec, purpose, reward_per_consent,
                 max_consents, min_consents, consent_deadline, result_deadline, researcher_key, escrow,
                 operator_fee, protocol_fee, state, submitted_block, submit_tx, updated_block)
               VALUES ($1::NUMERIC, $2, $3, $4, $5, $6, $7::NUMERIC, $8::BIGINT, $9::BIGINT, $10::NUMERIC,
                 $11::NUMERIC, $12, $13::NUMERIC, $14::NUMERIC, $15::NUMERIC, 'open', $16, $17, $16)")
            .bind(arg(e, "id")?)
            .bind(addr(e, "researcher")?)
            .bind(addr(e, "operator")?)
            .bind(bytes(e, "specHash")?)
            .bind(bytes(e, "spec")?)
            .bind(arg(e, "purpose")?)
            .bind(arg(e, "rewardPerConsent")?)
            .bind(arg(e, "maxConsents")?.parse::<i64>()?)
            .bind(arg(e, "minConsents")?.parse::<i64>()?)
            .bind(arg(e, "consentDeadline")?)
            .bind(arg(e, "resultDeadline")?)
            .bind(bytes(e, "researcherKey")?)
            .bind(arg(e, "escrow")?)
            .bind(arg(e, "operatorFee")?)
            .bind(arg(e, "protocolFee")?)
            .bind(block)
            .bind(e.tx_hash.to_vec())
            .execute(&mut **tx)
            .await?;
        }
        ("ledger", "ConsentDecided") => {
            let decision = arg(e, "decision")?.parse::<usize>()?;
            let decision =
                DECISIONS.get(decision).ok_or_else(|| eyre!("unknown decision {decision}"))?;
            q("INSERT INTO consents (query, dataset, owner, decision, decided_at, updated_block)
               VALUES ($1::NUMERIC, $2::NUMERIC, $3, $4, $5::NUMERIC, $6)
               ON CONFLICT (query, dataset) DO UPDATE SET owner = EXCLUDED.owner, decision = EXCLUDED.decision,
                 decided_at = EXCLUDED.decided_at, updated_block = EXCLUDED.updated_block")
            .bind(arg(e, "query")?)
            .bind(arg(e, "dataset")?)
            .bind(addr(e, "owner")?)
            .bind(*decision)
            .bind(arg(e, "at")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
            q("UPDATE queries SET approvals = $2::BIGINT, updated_block = $3 WHERE id = $1::NUMERIC")
                .bind(arg(e, "query")?)
                .bind(arg(e, "approvals")?.parse::<i64>()?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("ledger", "ResultPosted") => {
            q("UPDATE queries SET state = 'answered', consents_used = $2::BIGINT, result_commitment = $3,
                 encrypted_answer = $4, challenge_deadline = $5::NUMERIC, updated_block = $6 WHERE id = $1::NUMERIC")
            .bind(arg(e, "query")?)
            .bind(arg(e, "consentsUsed")?.parse::<i64>()?)
            .bind(bytes(e, "commitment")?)
            .bind(bytes(e, "encryptedAnswer")?)
            .bind(arg(e, "challengeDeadline")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("ledger", "Challenged") => {
            q("INSERT INTO disputes (query, challenger, bond, arbitration_deadline, outcome, updated_block)
               VALUES ($1::NUMERIC, $2, $3::NUMERIC, $4::NUMERIC, 'open', $5)")
            .bind(arg(e, "query")?)
            .bind(addr(e, "challenger")?)
            .bind(arg(e, "bond")?)
            .bind(arg(e, "arbitrationDeadline")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
            set_state(tx, e, "disputed", block).await?;
        }
        ("ledger", "DisputeResolved") => {
            let upheld = flag(e, "upheld")?;
            q("UPDATE disputes SET outcome = $2, arbiter = $3, slashed = $4::NUMERIC, refund = $5::NUMERIC,
                 updated_block = $6 WHERE query = $1::NUMERIC")
            .bind(arg(e, "query")?)
            .bind(if upheld { "upheld" } else { "rejected" })
            .bind(addr(e, "arbiter")?)
            .bind(arg(e, "slashed")?)
            .bind(arg(e, "refund")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
            if upheld {
                q("UPDATE queries SET state = 'refunded', refund = $2::NUMERIC, updated_block = $3 WHERE id = $1::NUMERIC")
                    .bind(arg(e, "query")?)
                    .bind(arg(e, "refund")?)
                    .bind(block)
                    .execute(&mut **tx)
                    .await?;
            } else {
                set_state(tx, e, "answered", block).await?;
            }
        }
        ("ledger", "DisputeLapsed") => {
            q("UPDATE disputes SET outcome = 'lapsed', updated_block = $2 WHERE query = $1::NUMERIC")
                .bind(arg(e, "query")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("ledger", "QueryFinalized") => {
            q("UPDATE queries SET state = 'finalised', owners_pool = $2::NUMERIC, refund = $3::NUMERIC,
                 updated_block = $4 WHERE id = $1::NUMERIC")
            .bind(arg(e, "query")?)
            .bind(arg(e, "ownersPool")?)
            .bind(arg(e, "refund")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("ledger", "QueryReclaimed") => {
            q("UPDATE queries SET state = 'reclaimed', refund = $2::NUMERIC, updated_block = $3 WHERE id = $1::NUMERIC")
                .bind(arg(e, "query")?)
                .bind(arg(e, "amount")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("ledger", "RewardClaimed") => {
            q("UPDATE consents SET reward_paid = $3::NUMERIC, updated_block = $4
               WHERE query = $1::NUMERIC AND dataset = $2::NUMERIC")
            .bind(arg(e, "query")?)
            .bind(arg(e, "dataset")?)
            .bind(arg(e, "amount")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
            q("UPDATE queries SET owners_paid = owners_paid + $2::NUMERIC, updated_block = $3 WHERE id = $1::NUMERIC")
                .bind(arg(e, "query")?)
                .bind(arg(e, "amount")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("staking", "Staked") => {
            q("INSERT INTO operators (address, stake, updated_block) VALUES ($1, $2::NUMERIC, $3)
               ON CONFLICT (address) DO UPDATE SET stake = EXCLUDED.stake, updated_block = EXCLUDED.updated_block")
            .bind(addr(e, "operator")?)
            .bind(arg(e, "stake")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("staking", "UnstakeRequested") => {
            q("UPDATE operators SET stake = stake - $2::NUMERIC, unbonding = $3::NUMERIC, release_at = $4::NUMERIC,
                 updated_block = $5 WHERE address = $1")
            .bind(addr(e, "operator")?)
            .bind(arg(e, "amount")?)
            .bind(arg(e, "unbonding")?)
            .bind(arg(e, "releaseAt")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("staking", "Withdrawn") => {
            q("UPDATE operators SET unbonding = unbonding - $2::NUMERIC, updated_block = $3 WHERE address = $1")
                .bind(addr(e, "operator")?)
                .bind(arg(e, "amount")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("staking", "EmissionsClaimed") => {
            q("UPDATE operators SET emissions_claimed = emissions_claimed + $2::NUMERIC, updated_block = $3
               WHERE address = $1")
            .bind(addr(e, "operator")?)
            .bind(arg(e, "amount")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("staking", "Slashed") => {
            q("UPDATE operators SET stake = stake - ($2::NUMERIC - $3::NUMERIC), unbonding = unbonding - $3::NUMERIC,
                 jailed = TRUE, slashed_total = slashed_total + $2::NUMERIC, updated_block = $4 WHERE address = $1")
            .bind(addr(e, "operator")?)
            .bind(arg(e, "amount")?)
            .bind(arg(e, "fromUnbonding")?)
            .bind(block)
            .execute(&mut **tx)
            .await?;
        }
        ("staking", "Unjailed") => {
            q("UPDATE operators SET jailed = FALSE, updated_block = $2 WHERE address = $1")
                .bind(addr(e, "operator")?)
                .bind(block)
                .execute(&mut **tx)
                .await?;
        }
        ("gene", "Transfer") => {
            let value = arg(e, "value")?;
            for (who, sign) in [("from", "-"), ("to", "")] {
                let account = addr(e, who)?;
                if account == [0u8; 20] {
                    continue; // mint or burn: no balance on the zero address
                }
                let sql = if sign == "-" {
                    "INSERT INTO balances (address, balance, updated_block) VALUES ($1, -$2::NUMERIC, $3)
                     ON CONFLICT (address) DO UPDATE SET balance = balances.balance - $2::NUMERIC,
                       updated_block = EXCLUDED.updated_block"
                } else {
                    "INSERT INTO balances (address, balance, updated_block) VALUES ($1, $2::NUMERIC, $3)
                     ON CONFLICT (address) DO UPDATE SET balance = balances.balance + $2::NUMERIC,
                       updated_block = EXCLUDED.updated_block"
                };
                sqlx::query(sql).bind(account).bind(value).bind(block).execute(&mut **tx).await?;
            }
        }
        // Every other event (roles, parameters, approvals, emissions
        // minted) lives in the event stream only.
        _ => {}
    }
    Ok(())
}

async fn set_state(
    tx: &mut Transaction<'_, Postgres>,
    e: &EventRow,
    state: &str,
    block: i64,
) -> Result<()> {
    sqlx::query("UPDATE queries SET state = $2, updated_block = $3 WHERE id = $1::NUMERIC")
        .bind(arg(e, "query")?)
        .bind(state)
        .bind(block)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
