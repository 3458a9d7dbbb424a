//! Following the chain: backfill from the deployment in large log ranges,
//! then block by block near the head, checking every block's parent and
//! every log's block hash, rolling back on a reorg.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
};
use eyre::{bail, eyre, WrapErr};
use futures_util::{StreamExt, TryStreamExt};
use strand_client::deploy::Manifest;
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    abi::{self, Events},
    store::{Batch, BlockRow, Checkpoint, EventRow, Store, TxRow},
};

/// How the indexer follows the chain.
#[derive(Clone, Debug)]
pub struct Config {
    /// Index only blocks this far below the head (0: up to the head).
    pub confirmations: u64,
    /// Blocks below the indexed head whose hashes are kept, and inside
    /// which a reorg is rolled back. Deeper reorgs stop the indexer.
    pub reorg_window: u64,
    /// Pause between polls once caught up.
    pub poll: Duration,
    /// Largest `eth_getLogs` range tried.
    pub max_range: u64,
    /// Events a backfill batch aims at: the log range shrinks when an
    /// answer holds more, which bounds memory, and grows when it holds
    /// fewer than half.
    pub batch_events: usize,
    /// Most blocks fetched header by header in one batch near the head.
    pub live_batch: u64,
    /// Warn (and count a stall) when the head has not moved for this long.
    pub stall_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            confirmations: 0,
            reorg_window: 64,
            poll: Duration::from_millis(200),
            max_range: 50_000,
            batch_events: 20_000,
            live_batch: 32,
            stall_after: Duration::from_secs(120),
        }
    }
}

/// Figures for `/metrics` and `/ready`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Latest head seen.
    pub head: AtomicU64,
    /// Last block indexed.
    pub indexed: AtomicU64,
    /// Events stored since start.
    pub events: AtomicU64,
    /// Reorgs rolled back.
    pub reorgs: AtomicU64,
    /// RPC calls that failed.
    pub rpc_errors: AtomicU64,
    /// Backfill reached the head once.
    pub ready: AtomicBool,
    /// A `newHeads` subscription is live.
    pub websocket: AtomicBool,
    /// Times the head stood still longer than the stall limit.
    pub head_stalls: AtomicU64,
    /// Events stored per second, over the last second.
    pub events_per_second: AtomicU64,
}

/// The indexer of one deployment.
pub struct Indexer {
    store: Store,
    provider: DynProvider,
    chain_id: u64,
    first_block: u64,
    addresses: Vec<Address>,
    programs: HashMap<Address, &'static str>,
    events: HashMap<&'static str, Events>,
    config: Config,
    range: u64,
    wake: Option<Arc<Notify>>,
    /// A backfill batch still committing, and the checkpoint it leaves:
    /// the next range is fetched meanwhile.
    pending: Option<(Checkpoint, JoinHandle<eyre::Result<usize>>)>,
    /// Shared with the API.
    pub metrics: Arc<Metrics>,
}

/// What one step did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Indexed blocks up to this one.
    Indexed(u64),
    /// Rolled back to this ancestor.
    RolledBack(u64),
    /// Nothing new below the target.
    CaughtUp,
}

impl Indexer {
    /// Checks that the node serves the manifest's chain and that the
    /// database, if it has indexed before, indexed this chain.
    pub async fn new(
        store: Store,
        provider: DynProvider,
        manifest: &Manifest,
        config: Config,
    ) -> eyre::Result<Self> {
        let chain_id = provider.get_chain_id().await.wrap_err("cannot reach the node")?;
        if chain_id != manifest.chain_id {
            bail!(
                "the node serves chain {chain_id} but the manifest is for chain {}",
                manifest.chain_id
            );
        }
        let checkpoint = store.checkpoint().await?;
        if let Some(cp) = checkpoint {
            if cp.chain_id != chain_id {
                bail!(
                    "the database holds an index of chain {}, not {chain_id}: use another database",
                    cp.chain_id
                );
            }
        }
        let programs: HashMap<Address, &'static str> =
            manifest.programs.iter().into_iter().map(|(name, d)| (d.address, name)).collect();
        for (name, d) in manifest.programs.iter() {
            let code = provider.get_code_at(d.address).await.wrap_err("cannot reach the node")?;
            if code.is_empty() {
                bail!(
                    "the manifest's {name} program is not on chain {chain_id} (no code at {}): the chain was reset or the manifest is stale; deploy again (`strand deploy`) and index into a fresh database",
                    d.address
                );
            }
        }
        let named: serde_json::Map<String, serde_json::Value> = manifest
            .programs
            .iter()
            .into_iter()
            .map(|(name, d)| (name.to_string(), d.address.to_string().into()))
            .collect();
        store.claim_deployment(chain_id, &named.into()).await?;
        Ok(Self {
            store,
            provider,
            chain_id,
            first_block: manifest.programs.first_block(),
            addresses: programs.keys().copied().collect(),
            programs,
            events: abi::all()?,
            // Small at first: the first answer tells how dense the logs are.
            range: config.max_range.min(100),
            config,
            wake: None,
            pending: None,
            metrics: Arc::new(Metrics {
                indexed: AtomicU64::new(checkpoint.map_or(0, |cp| cp.number)),
                ..Default::default()
            }),
        })
    }

    /// Wakes the follower early when `notify` fires (a new head announced
    /// over WebSocket) instead of only at each poll.
    pub fn wake_on(&mut self, notify: Arc<Notify>) {
        self.wake = Some(notify);
    }

    /// Where indexing stands: the checkpoint, or the block before the
    /// deployment.
    async fn position(&self) -> eyre::Result<Checkpoint> {
        if let Some(cp) = self.store.checkpoint().await? {
            return Ok(cp);
        }
        let number = self.first_block.saturating_sub(1);
        let hash = self.header(number).await?.hash;
        Ok(Checkpoint { chain_id: self.chain_id, number, hash })
    }

    async fn header(&self, number: u64) -> eyre::Result<BlockRow> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .inspect_err(|_| {
                self.metrics.rpc_errors.fetch_add(1, Ordering::Relaxed);
            })?
            .ok_or_else(|| eyre!("the node has no block {number}"))?;
        Ok(BlockRow { number, hash: block.header.hash, parent_hash: block.header.parent_hash })
    }

    /// Compares the stored window with the chain and rolls back to the
    /// newest block both agree on. Run at start-up and on a parent-hash
    /// mismatch.
    pub async fn reconcile(&self) -> eyre::Result<Option<u64>> {
        let window = self.store.window().await?;
        let Some(newest) = window.first() else { return Ok(None) };
        if self.header(newest.number).await?.hash == newest.hash {
            return Ok(None);
        }
        for b in &window[1..] {
            if self.header(b.number).await?.hash == b.hash {
                let removed = self.store.roll_back(b.number, b.hash).await?;
                self.metrics.reorgs.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target: "strand::sync", ancestor = b.number, events_removed = removed, "reorg: rolled back");
                return Ok(Some(b.number));
            }
        }
        bail!(
            "the chain reorganised deeper than the {}-block window (no stored block matches): re-index into a \
             fresh database, or run with a larger --reorg-window or with --confirmations",
            self.config.reorg_window
        )
    }

    /// Indexes the next batch below the target.
    pub async fn step(&mut self) -> eyre::Result<Step> {
        let head = self.provider.get_block_number().await.inspect_err(|_| {
            self.metrics.rpc_errors.fetch_add(1, Ordering::Relaxed);
        })?;
        self.metrics.head.store(head, Ordering::Relaxed);
        let target = head.saturating_sub(self.config.confirmations);
        let cp = match &self.pending {
            Some((cp, _)) => *cp,
            None => self.position().await?,
        };
        let from = cp.number + 1;
        let live_from = target.saturating_sub(self.config.reorg_window);
        if from <= live_from {
            return self.backfill(from, live_from, target).await;
        }
        // Near the head and when caught up, the database is the truth.
        self.settle().await?;
        if cp.number >= target {
            self.metrics.ready.store(true, Ordering::Relaxed);
            return Ok(Step::CaughtUp);
        }
        self.live(cp, target).await
    }

    /// Waits for the batch still committing, if any.
    async fn settle(&mut self) -> eyre::Result<()> {
        if let Some((cp, commit)) = self.pending.take() {
            let stored = commit.await.wrap_err("the commit task failed")??;
            self.committed(stored, cp.number);
        }
        Ok(())
    }

    /// Far below the head: logs in large ranges; blocks this deep are
    /// taken as final.
    async fn backfill(&mut self, from: u64, live_from: u64, target: u64) -> eyre::Result<Step> {
        let to = (from + self.range - 1).min(live_from);
        let (logs, to) = self.logs(from, to).await?;
        let last = self.header(to).await?;
        let events = self.decode(&logs, |_| true)?;
        let transactions = self.receipts(&events).await?;
        let batch = Batch {
            chain_id: self.chain_id,
            to,
            to_hash: last.hash,
            blocks: vec![last],
            events,
            transactions,
            undo: false,
            prune_below: target.saturating_sub(self.config.reorg_window),
        };
        // Commit in the background while the next range is fetched; one
        // commit at a time, in order. Should it fail, the next step starts
        // again from the database's checkpoint.
        self.settle().await?;
        let store = self.store.clone();
        let cp = Checkpoint { chain_id: self.chain_id, number: to, hash: batch.to_hash };
        let commit = tokio::spawn(async move { store.commit(&batch).await });
        self.pending = Some((cp, commit));
        Ok(Step::Indexed(to))
    }

    /// Near the head: every header, parent checked, logs checked against
    /// the headers' hashes.
    async fn live(&mut self, cp: Checkpoint, target: u64) -> eyre::Result<Step> {
        let to = (cp.number + self.config.live_batch).min(target);
        let mut headers = Vec::new();
        let mut parent = cp.hash;
        for n in cp.number + 1..=to {
            let h = self.header(n).await?;
            if h.parent_hash != parent {
                if headers.is_empty() {
                    // The stored head is no longer canonical.
                    return match self.reconcile().await? {
                        Some(a) => Ok(Step::RolledBack(a)),
                        None => bail!(
                            "block {n}'s parent is not the indexed block {} but it is canonical",
                            cp.number
                        ),
                    };
                }
                // The chain moved while we read it: take what is consistent.
                break;
            }
            parent = h.hash;
            headers.push(h);
        }
        let to = headers.last().map(|h| h.number).unwrap_or(cp.number);
        if self.store.checkpoint().await?.is_none() {
            // The block before the first indexed one anchors the window: a
            // reorg of the very first blocks rolls back to it.
            let anchor = self.header(cp.number).await?;
            headers.insert(0, anchor);
        }
        let hashes: HashMap<u64, B256> = headers.iter().map(|h| (h.number, h.hash)).collect();
        let (logs, _) = self.logs_exact(cp.number + 1, to).await?;
        // A log from another version of a block means the node answered
        // from a different fork than the headers: do not take it as truth.
        for log in &logs {
            let (n, h) = (log.block_number.unwrap_or_default(), log.block_hash.unwrap_or_default());
            if hashes.get(&n) != Some(&h) {
                bail!("the node returned a log of block {n} with hash {h}, not the block it served; retrying");
            }
        }
        let events = self.decode(&logs, |_| true)?;
        let transactions = self.receipts(&events).await?;
        let batch = Batch {
            chain_id: self.chain_id,
            to,
            to_hash: parent,
            blocks: headers,
            events,
            transactions,
            undo: true,
            prune_below: to.saturating_sub(self.config.reorg_window),
        };
        self.commit(&batch).await?;
        Ok(Step::Indexed(to))
    }

    /// The receipts of the transactions that emitted ledger events, fetched
    /// by block hash a block at a time (a few blocks at once), so that a
    /// block replaced meanwhile fails the batch rather than lends it its
    /// receipts.
    async fn receipts(&self, events: &[EventRow]) -> eyre::Result<Vec<TxRow>> {
        let mut wanted: BTreeMap<(u64, B256), HashSet<B256>> = BTreeMap::new();
        for e in events.iter().filter(|e| e.program == "ledger") {
            wanted.entry((e.block_number, e.block_hash)).or_default().insert(e.tx_hash);
        }
        let blocks = futures_util::stream::iter(wanted)
            .map(|((number, hash), txs)| async move {
                let receipts = self
                    .provider
                    .get_block_receipts(BlockId::hash(hash))
                    .await
                    .inspect_err(|_| {
                        self.metrics.rpc_errors.fetch_add(1, Ordering::Relaxed);
                    })?
                    .ok_or_else(|| eyre!("the node has no receipts for block {number} ({hash}); retrying"))?;
                let rows: Vec<TxRow> = receipts
                    .iter()
                    .filter(|r| txs.contains(&r.transaction_hash))
                    .map(|r| TxRow {
                        block_hash: hash,
                        tx_hash: r.transaction_hash,
                        block_number: number,
                        sender: r.from,
                        gas_used: r.gas_used,
                        effective_gas_price: r.effective_gas_price,
                    })
                    .collect();
                if rows.len() != txs.len() {
                    bail!(
                        "block {number} ({hash}) has receipts for {} of its {} ledger transactions; retrying",
                        rows.len(),
                        txs.len()
                    );
                }
                Ok(rows)
            })
            .buffered(4)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(blocks.into_iter().flatten().collect())
    }

    async fn commit(&self, batch: &Batch) -> eyre::Result<()> {
        let stored = self.store.commit(batch).await?;
        self.committed(stored, batch.to);
        Ok(())
    }

    /// Counts a committed batch: `stored` new events, indexed up to `to`.
    fn committed(&self, stored: usize, to: u64) {
        self.metrics.events.fetch_add(stored as u64, Ordering::Relaxed);
        self.metrics.indexed.store(to, Ordering::Relaxed);
    }

    /// Logs of `from..=to`, or of a shorter range the node accepts; the
    /// range grows after successes and shrinks after failures.
    async fn logs(&mut self, from: u64, to: u64) -> eyre::Result<(Vec<Log>, u64)> {
        let mut to = to;
        loop {
            match self.provider.get_logs(&self.filter(from, to)).await {
                Ok(logs) => {
                    let (span, target) = (to - from + 1, self.config.batch_events.max(1));
                    self.range = if logs.len() > target {
                        (span as u128 * target as u128 / logs.len() as u128).max(1) as u64
                    } else if logs.len() < target / 2 {
                        self.range.saturating_mul(2)
                    } else {
                        self.range
                    }
                    .min(self.config.max_range);
                    return Ok((logs, to));
                }
                Err(e) => {
                    self.metrics.rpc_errors.fetch_add(1, Ordering::Relaxed);
                    let span = to - from + 1;
                    if span == 1 {
                        return Err(e).wrap_err(format!("eth_getLogs failed for block {from}"));
                    }
                    let suggested = suggested_range(&e.to_string()).filter(|&s| s >= 1 && s < span);
                    self.range = suggested.unwrap_or(span / 2).max(1);
                    tracing::debug!(target: "strand::sync", from, span, next = self.range, error = %e, "eth_getLogs range shrunk");
                    to = from + self.range - 1;
                }
            }
        }
    }

    /// Logs of exactly `from..=to` (near the head ranges are small).
    async fn logs_exact(&mut self, from: u64, to: u64) -> eyre::Result<(Vec<Log>, u64)> {
        if to < from {
            return Ok((Vec::new(), to));
        }
        let logs = self.provider.get_logs(&self.filter(from, to)).await.inspect_err(|_| {
            self.metrics.rpc_errors.fetch_add(1, Ordering::Relaxed);
        })?;
        Ok((logs, to))
    }

    fn filter(&self, from: u64, to: u64) -> Filter {
        Filter::new().address(self.addresses.clone()).from_block(from).to_block(to)
    }

    fn decode(&self, logs: &[Log], keep: impl Fn(&Log) -> bool) -> eyre::Result<Vec<EventRow>> {
        let mut rows = Vec::with_capacity(logs.len());
        for log in logs.iter().filter(|l| keep(l)) {
            if log.removed {
                continue;
            }
            let Some(&program) = self.programs.get(&log.address()) else { continue };
            let Some(decoded) = self.events[program].decode(&log.inner)? else {
                tracing::warn!(target: "strand::sync", program, "a log of no known event; skipped");
                continue;
            };
            rows.push(EventRow {
                block_hash: log.block_hash.ok_or_else(|| eyre!("a log without its block hash"))?,
                log_index: log.log_index.ok_or_else(|| eyre!("a log without its index"))?,
                block_number: log
                    .block_number
                    .ok_or_else(|| eyre!("a log without its block number"))?,
                block_time: log.block_timestamp,
                tx_hash: log.transaction_hash.unwrap_or_default(),
                program,
                address: log.address(),
                name: decoded.name,
                args: decoded.args,
            });
        }
        Ok(rows)
    }

    /// Backfills, then follows the head until `stop` is set. A failed
    /// step is retried after a pause (nothing of it was stored).
    /// `progress` hears of every indexed batch: the block reached and the
    /// head.
    pub async fn run(
        &mut self,
        stop: Arc<AtomicBool>,
        mut progress: impl FnMut(u64, u64),
    ) -> eyre::Result<()> {
        self.reconcile().await?;
        let rate = tokio::spawn(measure_rate(self.metrics.clone()));
        let mut last_head = (0, Instant::now());
        let result = loop {
            if stop.load(Ordering::Relaxed) {
                break Ok(());
            }
            match self.step().await {
                Ok(Step::CaughtUp) => {
                    let head = self.metrics.head.load(Ordering::Relaxed);
                    if head != last_head.0 {
                        last_head = (head, Instant::now());
                    } else if last_head.1.elapsed() > self.config.stall_after {
                        self.metrics.head_stalls.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            target: "strand::sync",
                            head,
                            still_for_secs = last_head.1.elapsed().as_secs(),
                            "the head has not moved: is the node producing blocks?"
                        );
                        last_head.1 = Instant::now();
                    }
                    self.idle().await;
                }
                Ok(Step::Indexed(n)) => progress(n, self.metrics.head.load(Ordering::Relaxed)),
                Ok(Step::RolledBack(_)) => {}
                Err(e) if is_fatal(&e) => break Err(e),
                Err(e) => {
                    tracing::warn!(target: "strand::sync", error = %format!("{e:#}"), "step failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        rate.abort();
        let settled = self.settle().await;
        result.and(settled)
    }

    /// Waits for the next poll, or less when a new head is announced.
    async fn idle(&self) {
        match &self.wake {
            Some(notify) => {
                let _ = tokio::time::timeout(self.config.poll, notify.notified()).await;
            }
            None => tokio::time::sleep(self.config.poll).await,
        }
    }
}

/// Keeps [`Metrics::events_per_second`] current, once a second.
async fn measure_rate(metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last = metrics.events.load(Ordering::Relaxed);
    loop {
        tick.tick().await;
        let now = metrics.events.load(Ordering::Relaxed);
        metrics.events_per_second.store(now.saturating_sub(last), Ordering::Relaxed);
        last = now;
    }
}

fn is_fatal(e: &eyre::Report) -> bool {
    let text = format!("{e:#}");
    text.contains("deeper than")
        || text.contains("serves chain")
        || text.contains("holds an index of chain")
}

/// A block range a provider's error says it accepts: "... block range
/// [0x10, 0x20]" or "... limited to a 1000 block range" or "up to 500 blocks".
pub fn suggested_range(message: &str) -> Option<u64> {
    if let Some(i) = message.find("[0x") {
        let rest = &message[i + 1..];
        let end = rest.find(']')?;
        let mut parts = rest[..end]
            .split(',')
            .map(|p| u64::from_str_radix(p.trim().trim_start_matches("0x"), 16));
        let (a, b) = (parts.next()?.ok()?, parts.next()?.ok()?);
        return b.checked_sub(a).map(|d| d + 1);
    }
    let words: Vec<&str> =
        message.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.windows(2).find_map(|w| match w[1] {
        "block" | "blocks" => w[0].parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::suggested_range;

    #[test]
    fn provider_range_hints_are_read() {
        assert_eq!(
            suggested_range(
                "query returned more than 10000 results. Try with this block range [0x1A, 0x2F]."
            ),
            Some(22)
        );
        assert_eq!(suggested_range("eth_getLogs is limited to a 1000 block range"), Some(1000));
        assert_eq!(
            suggested_range("You can make eth_getLogs requests with up to a 500 blocks range"),
            Some(500)
        );
        assert_eq!(suggested_range("connection reset"), None);
    }
}
