//! PostgreSQL: the event stream, the projections folded from it, the
//! block-hash window and the checkpoint, each batch in one transaction.

use std::collections::HashSet;

use alloy::primitives::{Address, B256};
use eyre::{eyre, WrapErr};
use serde_json::{Map, Value};
use sqlx::{postgres::PgPoolOptions, PgPool, Postgres, Row, Transaction};

/// One decoded log, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// Block hash: with `log_index`, the row's identity.
    pub block_hash: B256,
    /// Index of the log in its block.
    pub log_index: u64,
    /// Block number.
    pub block_number: u64,
    /// Block timestamp, when the node reports it with the log.
    pub block_time: Option<u64>,
    /// Transaction that emitted the log.
    pub tx_hash: B256,
    /// `gene`, `staking`, `datasets` or `ledger`.
    pub program: &'static str,
    /// Emitting address.
    pub address: Address,
    /// Event name.
    pub name: String,
    /// Arguments by name (see [`crate::abi::Decoded`]).
    pub args: Map<String, Value>,
}

/// A canonical block of the reorg window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRow {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent's hash.
    pub parent_hash: B256,
}

/// The receipt of a transaction that emitted a ledger event: its gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxRow {
    /// Block the transaction is in: with `tx_hash`, the row's identity.
    pub block_hash: B256,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Who sent it.
    pub sender: Address,
    /// Gas it used.
    pub gas_used: u64,
    /// Wei it paid per gas.
    pub effective_gas_price: u128,
}

/// Blocks `from..=to`, all their events, and the checkpoint that follows.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Chain the batch is from.
    pub chain_id: u64,
    /// Last block of the batch: the new checkpoint.
    pub to: u64,
    /// Its hash.
    pub to_hash: B256,
    /// Headers to keep for parent checks (blocks inside the reorg window).
    pub blocks: Vec<BlockRow>,
    /// Every event of the batch's blocks, in chain order.
    pub events: Vec<EventRow>,
    /// Receipts of the transactions that emitted the batch's ledger events.
    pub transactions: Vec<TxRow>,
    /// Record undo versions of projection rows (blocks inside the window).
    pub undo: bool,
    /// Forget window blocks and undo versions below this block.
    pub prune_below: u64,
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

/// Where indexing stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Chain indexed.
    pub chain_id: u64,
    /// Last block whose events are all stored.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> eyre::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| eyre!("cannot connect to PostgreSQL at {}: {e}", redact(url)))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .wrap_err("cannot apply the database migrations")?;
        Ok(Self { pool })
    }

    /// The pool, for the read API.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where indexing stands, if it has begun.
    pub async fn checkpoint(&self) -> eyre::Result<Option<Checkpoint>> {
        let row = sqlx::query("SELECT chain_id::TEXT, block_number, block_hash FROM checkpoint")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Checkpoint {
                chain_id: r.get::<String, _>(0).parse()?,
                number: u64::try_from(r.get::<i64, _>(1))?,
                hash: B256::try_from(r.get::<Vec<u8>, _>(2).as_slice())?,
            })
        })
        .transpose()
    }

    /// The stored hash of window block `number`.
    pub async fn block_hash(&self, number: u64) -> eyre::Result<Option<B256>> {
        let row = sqlx::query("SELECT hash FROM blocks WHERE number = $1")
            .bind(i64::try_from(number)?)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| B256::from_slice(&r.get::<Vec<u8>, _>(0))))
    }

    /// Window blocks from `above` up, newest first.
    pub async fn window(&self) -> eyre::Result<Vec<BlockRow>> {
        let rows = sqlx::query("SELECT number, hash, parent_hash FROM blocks ORDER BY number DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(BlockRow {
                    number: u64::try_from(r.get::<i64, _>(0))?,
                    hash: B256::from_slice(&r.get::<Vec<u8>, _>(1)),
                    parent_hash: B256::from_slice(&r.get::<Vec<u8>, _>(2)),
                })
            })
            .collect()
    }

    /// Stores a batch: its events, what they change in the projections, its
    /// window blocks and the new checkpoint, all or nothing.
    ///
    /// The projections are folded per batch far below the head, and per
    /// block inside the reorg window (`undo`), so that the undo log holds
    /// each row's version before every block a rollback may return to.
    pub async fn commit(&self, batch: &Batch) -> eyre::Result<usize> {
        let mut tx = self.pool.begin().await?;
        if batch.undo {
            sqlx::query("SELECT set_config('strand.undo', 'on', true)").execute(&mut *tx).await?;
        }
        let inserted = insert_events(&mut tx, &batch.events).await?;
        let fresh: Vec<&EventRow> = match &inserted {
            None => batch.events.iter().collect(),
            Some(keys) => batch
                .events
                .iter()
                .filter(|e| keys.contains(&(e.block_hash, e.log_index)))
                .collect(),
        };
        if batch.undo {
            for block in fresh.chunk_by(|a, b| a.block_number == b.block_number) {
                crate::project::apply(&mut tx, block).await?;
            }
        } else {
            crate::project::apply(&mut tx, &fresh).await?;
        }
        insert_blocks(&mut tx, &batch.blocks).await?;
        insert_transactions(&mut tx, &batch.transactions).await?;
        let prune = i64::try_from(batch.prune_below)?;
        sqlx::query("DELETE FROM blocks WHERE number < $1").bind(prune).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM undo_log WHERE block_number < $1")
            .bind(prune)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO checkpoint (id, chain_id, block_number, block_hash) VALUES (TRUE, $1::NUMERIC, $2, $3)
             ON CONFLICT (id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash",
        )
        .bind(batch.chain_id.to_string())
        .bind(i64::try_from(batch.to)?)
        .bind(batch.to_hash.as_slice())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(fresh.len())
    }

    /// Records `programs` (name to address) as the deployment this database
    /// indexes, or, if it indexes one already, fails unless it is the same.
    pub async fn claim_deployment(&self, chain_id: u64, programs: &Value) -> eyre::Result<()> {
        sqlx::query("INSERT INTO deployment (chain_id, programs) VALUES ($1::NUMERIC, $2) ON CONFLICT (id) DO NOTHING")
            .bind(chain_id.to_string())
            .bind(programs)
            .execute(&self.pool)
            .await?;
        let (held_chain, held): (String, Value) =
            sqlx::query_as("SELECT chain_id::TEXT, programs FROM deployment")
                .fetch_one(&self.pool)
                .await?;
        if held_chain != chain_id.to_string() || &held != programs {
            return Err(eyre!(
                "the database holds an index of another deployment (chain {held_chain}, programs {held}), not this manifest's: use another database"
            ));
        }
        Ok(())
    }

    /// Forgets everything above `ancestor` (events, projection changes,
    /// window blocks) and moves the checkpoint back to it, in one
    /// transaction. Returns the number of events removed.
    pub async fn roll_back(&self, ancestor: u64, ancestor_hash: B256) -> eyre::Result<u64> {
        let a = i64::try_from(ancestor)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT set_config('strand.undo', 'off', true)").execute(&mut *tx).await?;
        sqlx::query("SELECT roll_back_projections($1)").bind(a).execute(&mut *tx).await?;
        let removed = sqlx::query("DELETE FROM events WHERE block_number > $1")
            .bind(a)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM transactions WHERE block_number > $1")
            .bind(a)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blocks WHERE number > $1").bind(a).execute(&mut *tx).await?;
        sqlx::query("UPDATE checkpoint SET block_number = $1, block_hash = $2")
            .bind(a)
            .bind(ancestor_hash.as_slice())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed.rows_affected())
    }
}

/// Key of the advisory lock that keeps one indexer per database.
const INDEXER_LOCK: i64 = 0x5354_524e_4458; // "STRNDX"

/// Holds the database at `url` for this indexer alone: a session advisory
/// lock on a connection of its own, released when that connection closes,
/// which the process's end does (a SIGKILL too). Waits up to `patience`
/// for a predecessor's session to end before saying another indexer runs.
pub async fn hold(url: &str, patience: std::time::Duration) -> eyre::Result<sqlx::PgConnection> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .wrap_err_with(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
    let start = std::time::Instant::now();
    loop {
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(INDEXER_LOCK)
            .fetch_one(&mut conn)
            .await?;
        if held {
            return Ok(conn);
        }
        if start.elapsed() >= patience {
            return Err(eyre!(
                "another strand-indexer is indexing the database at {}: stop it, or give this one another database",
                redact(url)
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Inserts events that are not there yet. Returns `None` when all were
/// new, else the keys of those inserted (a replayed event is skipped, and
/// so are its projections).
///
/// A batch normally holds only new events (the checkpoint commits with
/// them), so they go in by one COPY; should any be there already, the
/// COPY fails on the key, is rolled back to its savepoint, and the batch
/// takes the row-by-row path that skips them.
async fn insert_events(
    tx: &mut Transaction<'_, Postgres>,
    events: &[EventRow],
) -> eyre::Result<Option<HashSet<(B256, u64)>>> {
    if events.is_empty() {
        return Ok(None);
    }
    let data = copy_text(events)?;
    let mut attempt = sqlx::Connection::begin(&mut **tx).await?;
    let copied = async {
        let mut copy = attempt
            .copy_in_raw(
                "COPY events (block_hash, log_index, block_number, block_time, tx_hash, program, address, name, args) FROM STDIN",
            )
            .await?;
        copy.send(data.as_bytes()).await?;
        copy.finish().await
    }
    .await;
    match copied {
        Ok(_) => {
            attempt.commit().await?;
            Ok(None)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            attempt.rollback().await?;
            insert_new_events(tx, events).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `events` in COPY's text format.
fn copy_text(events: &[EventRow]) -> eyre::Result<String> {
    use std::fmt::Write;
    let mut out = String::with_capacity(events.len() * 400);
    for e in events {
        let time = e.block_time.map_or_else(|| "\\N".to_string(), |t| t.to_string());
        let args = serde_json::to_string(&e.args)?;
        // JSON escapes every control character; a backslash is COPY's own
        // escape and is doubled.
        writeln!(
            out,
            "\\\\x{}\t{}\t{}\t{time}\t\\\\x{}\t{}\t\\\\x{}\t{}\t{}",
            alloy::hex::encode(e.block_hash),
            e.log_index,
            e.block_number,
            alloy::hex::encode(e.tx_hash),
            e.program,
            alloy::hex::encode(e.address),
            e.name,
            args.replace('\\', "\\\\"),
        )?;
    }
    Ok(out)
}

/// The slow path of [`insert_events`]: one statement that skips the
/// events already stored and returns the keys of the others.
async fn insert_new_events(
    tx: &mut Transaction<'_, Postgres>,
    events: &[EventRow],
) -> eyre::Result<Option<HashSet<(B256, u64)>>> {
    if events.is_empty() {
        return Ok(None);
    }
    let mut hashes = Vec::with_capacity(events.len());
    let mut indexes = Vec::with_capacity(events.len());
    let mut numbers = Vec::with_capacity(events.len());
    let mut times: Vec<Option<String>> = Vec::with_capacity(events.len());
    let mut txs = Vec::with_capacity(events.len());
    let mut programs = Vec::with_capacity(events.len());
    let mut addresses = Vec::with_capacity(events.len());
    let mut names = Vec::with_capacity(events.len());
    let mut args = Vec::with_capacity(events.len());
    for e in events {
        hashes.push(e.block_hash.to_vec());
        indexes.push(i64::try_from(e.log_index)?);
        numbers.push(i64::try_from(e.block_number)?);
        times.push(e.block_time.map(|t| t.to_string()));
        txs.push(e.tx_hash.to_vec());
        programs.push(e.program);
        addresses.push(e.address.to_vec());
        names.push(e.name.as_str());
        args.push(serde_json::to_string(&e.args)?);
    }
    let rows = sqlx::query(
        "INSERT INTO events (block_hash, log_index, block_number, block_time, tx_hash, program, address, name, args)
         SELECT h, i, n, t::NUMERIC, x, p, a, nm, ar::JSONB
         FROM UNNEST($1::BYTEA[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::BYTEA[], $6::TEXT[], $7::BYTEA[], $8::TEXT[], $9::TEXT[])
              AS u(h, i, n, t, x, p, a, nm, ar)
         ON CONFLICT (block_hash, log_index) DO NOTHING
         RETURNING block_hash, log_index",
    )
    .bind(hashes)
    .bind(indexes)
    .bind(numbers)
    .bind(times)
    .bind(txs)
    .bind(programs)
    .bind(addresses)
    .bind(names)
    .bind(args)
    .fetch_all(&mut **tx)
    .await?;
    if rows.len() == events.len() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|r| (B256::from_slice(&r.get::<Vec<u8>, _>(0)), r.get::<i64, _>(1) as u64))
            .collect(),
    ))
}

/// Records the window's blocks, replacing those of the same numbers.
async fn insert_blocks(
    tx: &mut Transaction<'_, Postgres>,
    blocks: &[BlockRow],
) -> eyre::Result<()> {
    if blocks.is_empty() {
        return Ok(());
    }
    let numbers = blocks.iter().map(|b| i64::try_from(b.number)).collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO blocks (number, hash, parent_hash)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])
         ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash",
    )
    .bind(numbers)
    .bind(blocks.iter().map(|b| b.hash.to_vec()).collect::<Vec<_>>())
    .bind(blocks.iter().map(|b| b.parent_hash.to_vec()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records receipts not recorded yet (a replayed batch adds nothing).
async fn insert_transactions(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[TxRow],
) -> eyre::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let numbers =
        rows.iter().map(|r| i64::try_from(r.block_number)).collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO transactions (block_hash, tx_hash, block_number, sender, gas_used, effective_gas_price)
         SELECT b, t, n, s, g::NUMERIC, p::NUMERIC
           FROM UNNEST($1::BYTEA[], $2::BYTEA[], $3::BIGINT[], $4::BYTEA[], $5::TEXT[], $6::TEXT[]) AS u(b, t, n, s, g, p)
         ON CONFLICT (block_hash, tx_hash) DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.block_hash.to_vec()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.tx_hash.to_vec()).collect::<Vec<_>>())
    .bind(numbers)
    .bind(rows.iter().map(|r| r.sender.to_vec()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.gas_used.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.effective_gas_price.to_string()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact("postgres://strand:secret@db:5432/x"),
            "postgres://strand@db:5432/x"
        );
        assert_eq!(super::redact("postgres://db/x"), "postgres://db/x");
    }
}
