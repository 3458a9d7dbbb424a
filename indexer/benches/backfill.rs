//! How fast the indexer backfills and how soon it follows: a benchmark, not
//! a test, so it prints figures and asserts nothing about timing.
//!
//! Stock anvil gets a batch emitter at the programs' addresses (one call
//! emits many logs) and a chain of about 240,000 events in the mix of
//! [`workload`]; the indexer, in this process through its library API,
//! backfills it from an empty database until its checkpoint is the head.
//! Then it follows: blocks of events are mined one at a time and the time
//! from `evm_mine` until the block's rows are visible in PostgreSQL is
//! measured.
//!
//! ```sh
//! cd /work/main && export DATABASE_URL=$(scripts/devnet.sh db)
//! cargo bench -p strand-indexer --bench backfill
//! ```
//!
//! Skipped, with one line, without stock anvil or `DATABASE_URL`. Sizes
//! come from `STRAND_BENCH_EVENTS` (240000), `STRAND_BENCH_BLOCK_EVENTS`
//! (events per busy block, 600), `STRAND_BENCH_GAP` (empty blocks after
//! each busy one, 4), `STRAND_BENCH_FOLLOW_BLOCKS` (200) and
//! `STRAND_BENCH_FOLLOW_EVENTS` (events per followed block, 40).

#[allow(dead_code)] // the tests' helpers; the benchmark needs the programs' addresses
#[path = "../tests/common/mod.rs"]
mod common;
mod workload;

use std::{
    sync::{atomic::AtomicBool, Arc},
    time::{Duration, Instant},
};

use alloy::{
    network::TransactionBuilder,
    primitives::{Bytes, LogData},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use common::{manifest, program};
use eyre::{bail, WrapErr};
use sqlx::Row;
use strand_e2e::{database, StockAnvil};
use strand_indexer::{
    heads,
    store::Store,
    sync::{Config, Indexer, Step},
};
use tokio::sync::Notify;
use workload::{Workload, PROGRAMS};

/// Logs per emitter call: about 60 KB of calldata.
const LOGS_PER_TX: usize = 400;

fn main() -> eyre::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> eyre::Result<()> {
    let Some(url) = database("bench_backfill").await? else { return Ok(()) };
    let Some(anvil) = StockAnvil::start("the backfill benchmark")? else { return Ok(()) };
    let events = setting("STRAND_BENCH_EVENTS", 240_000);
    let per_block = setting("STRAND_BENCH_BLOCK_EVENTS", 600);
    let gap = setting("STRAND_BENCH_GAP", 4);
    let follow_blocks = setting("STRAND_BENCH_FOLLOW_BLOCKS", 200);
    let follow_events = setting("STRAND_BENCH_FOLLOW_EVENTS", 40);

    let chain = anvil.provider(0)?;
    let code = Bytes::from(batch_emitter());
    for name in PROGRAMS {
        chain.raw_request::<_, ()>("anvil_setCode".into(), (program(name), code.clone())).await?;
    }
    chain.raw_request::<_, ()>("evm_setAutomine".into(), (false,)).await?;
    let mut workload = Workload::new(7, 3_000);
    let started = Instant::now();
    let mut produced = 0;
    while produced < events {
        let block = workload.block(per_block.min(events - produced) as usize);
        produced += mine(&chain, block).await?.0;
        if gap > 0 {
            chain.raw_request::<_, ()>("anvil_mine".into(), (gap, 0)).await?;
        }
    }
    let head = chain.get_block_number().await?;
    eprintln!(
        "chain: {produced} events in {head} blocks, made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Backfill: from an empty database until the checkpoint is the head.
    reset_peak_rss();
    let store = Store::open(&url).await?;
    let reader = ProviderBuilder::new().connect_http(anvil.url.parse()?).erased();
    let mut indexer = Indexer::new(store.clone(), reader, &manifest(), Config::default()).await?;
    let started = Instant::now();
    let mut batches = 0;
    while indexer.step().await? != Step::CaughtUp {
        batches += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let stored: i64 =
        sqlx::query("SELECT count(*) FROM events").fetch_one(store.pool()).await?.get(0);
    if stored as u64 != produced {
        bail!("the index holds {stored} events, the chain {produced}");
    }
    let rss = peak_rss_mib();
    println!(
        "backfill: {stored} events in {secs:.2} s ({batches} steps): {:.0} events/s; peak RSS {rss} MiB",
        stored as f64 / secs
    );

    // Follow: one block at a time, from evm_mine to rows in PostgreSQL.
    let notify = Arc::new(Notify::new());
    let ws = heads::ws_url(&anvil.url).expect("an http URL");
    if heads::follow(ws, notify.clone(), indexer.metrics.clone()).await {
        indexer.wake_on(notify.clone());
    } else {
        eprintln!("no newHeads over WebSocket: the follower polls");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let follower = tokio::spawn(async move { indexer.run(flag, |_, _| {}).await });
    let mut latencies = Vec::with_capacity(follow_blocks as usize);
    let mut head = head;
    for _ in 0..follow_blocks {
        let events = workload.block(follow_events as usize);
        let (_, started) = mine(&chain, events).await?;
        head += 1;
        wait_for_block(&store, head).await?;
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    notify.notify_one();
    follower.await?.wrap_err("the follower failed")?;
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "follow: {} blocks of {follow_events} events, block-to-row latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; peak RSS {} MiB",
        latencies.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
        peak_rss_mib()
    );
    Ok(())
}

/// Sends `events` as one emitter call per program (split at
/// [`LOGS_PER_TX`]) and mines them into one block. Returns how many
/// events the block holds and when `evm_mine` was sent.
async fn mine(
    p: &DynProvider,
    events: Vec<(&'static str, LogData)>,
) -> eyre::Result<(u64, Instant)> {
    let n = events.len() as u64;
    let mut i = 0;
    while i < events.len() {
        let name = events[i].0;
        let end = (i..events.len())
            .find(|&j| events[j].0 != name || j - i == LOGS_PER_TX)
            .unwrap_or(events.len());
        let logs: Vec<&LogData> = events[i..end].iter().map(|(_, l)| l).collect();
        let input = batch_calldata(&logs);
        let gas = 60_000 + 48 * input.len() as u64 + 2_500 * logs.len() as u64;
        let gas = gas + (input.len() as u64 / 32).pow(2) / 512;
        let tx = TransactionRequest::default()
            .with_to(program(name))
            .with_input(input)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(20_000_000_000)
            .with_max_priority_fee_per_gas(1);
        // Not awaited: a call that failed shows as missing events, which
        // the benchmark checks.
        let _ = p.send_transaction(tx).await?;
        i = end;
    }
    let sent = Instant::now();
    p.raw_request::<_, String>("evm_mine".into(), ()).await?;
    Ok((n, sent))
}

/// Polls every millisecond until block `number` is indexed: its events and
/// the checkpoint commit together.
async fn wait_for_block(store: &Store, number: u64) -> eyre::Result<()> {
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        let row = sqlx::query("SELECT block_number FROM checkpoint").fetch_optional(store.pool());
        if row.await?.is_some_and(|r| r.get::<i64, _>(0) as u64 >= number) {
            return Ok(());
        }
        if Instant::now() > limit {
            bail!("block {number} was not indexed within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// EVM code that emits every log its calldata lists, each as one byte
/// (the number of topics), two bytes (the data's length), the topics and
/// the data.
fn batch_emitter() -> Vec<u8> {
    const ADD: u8 = 0x01;
    const GT: u8 = 0x11;
    const EQ: u8 = 0x14;
    const SHL: u8 = 0x1b;
    const SHR: u8 = 0x1c;
    const CALLDATASIZE: u8 = 0x36;
    const CALLDATACOPY: u8 = 0x37;
    const POP: u8 = 0x50;
    const MLOAD: u8 = 0x51;
    const JUMP: u8 = 0x56;
    const JUMPI: u8 = 0x57;
    const JUMPDEST: u8 = 0x5b;
    const PUSH1: u8 = 0x60;
    const PUSH2: u8 = 0x61;
    const DUP1: u8 = 0x80;
    const SWAP4: u8 = 0x93;
    const LOG0: u8 = 0xa0;
    let dup = |n: usize| DUP1 + (n as u8 - 1);

    // The calldata goes to memory 0; the stack holds p, the record's offset.
    let mut code = vec![CALLDATASIZE, PUSH1, 0, PUSH1, 0, CALLDATACOPY, PUSH1, 0];
    let top = code.len();
    code.extend([JUMPDEST, DUP1, CALLDATASIZE, GT, PUSH2, 0, 0, JUMPI, 0x00]);
    let body = code.len();
    code.extend([JUMPDEST, DUP1, MLOAD, PUSH1, 248, SHR]); // [p, k]
    code.extend([dup(2), PUSH1, 1, ADD, MLOAD, PUSH1, 240, SHR]); // [p, k, len]
    code.extend([dup(2), PUSH1, 5, SHL, dup(4), ADD, PUSH1, 3, ADD]); // [p, k, len, data]
    code.extend([dup(2), dup(2), ADD, SWAP4]); // [next, k, len, data, p]
    let dispatch = code.len();
    for k in (1..=4u8).rev() {
        code.extend([dup(4), PUSH1, k, EQ, PUSH2, 0, 0, JUMPI]);
    }
    let mut branches = [0usize; 5];
    for (k, branch) in branches.iter_mut().enumerate() {
        *branch = code.len();
        code.push(JUMPDEST);
        // Topics last to first, so that topic 0 ends up on top.
        for (pushed, i) in (0..k).rev().enumerate() {
            code.extend([dup(1 + pushed), PUSH1, 3 + 32 * i as u8, ADD, MLOAD]);
        }
        code.extend([dup(k + 3), dup(k + 3), LOG0 + k as u8, POP, POP, POP, POP]);
        code.extend([PUSH2, (top >> 8) as u8, top as u8, JUMP]);
    }
    let patch = |code: &mut Vec<u8>, at: usize, to: usize| {
        code[at..at + 2].copy_from_slice(&(to as u16).to_be_bytes());
    };
    patch(&mut code, top + 5, body);
    for (j, k) in (1..=4usize).rev().enumerate() {
        patch(&mut code, dispatch + 8 * j + 5, branches[k]);
    }
    code
}

/// Calldata for [`batch_emitter`] that emits `logs` in order.
fn batch_calldata(logs: &[&LogData]) -> Vec<u8> {
    let mut data = Vec::new();
    for log in logs {
        data.push(log.topics().len() as u8);
        data.extend_from_slice(&(log.data.len() as u16).to_be_bytes());
        for t in log.topics() {
            data.extend_from_slice(t.as_slice());
        }
        data.extend_from_slice(&log.data);
    }
    data
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Resets the peak resident set size (`VmHWM`) so that it measures the
/// indexer, not the making of the chain.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    kib / 1024
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
