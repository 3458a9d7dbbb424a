//! The projections do not depend on how the event stream is cut into
//! batches: one batch for everything, one event per batch, and a few
//! blocks per batch inside the reorg window all end in the same rows, a
//! rollback into the middle of a batch ends where an index of the blocks
//! before it ends, and a replayed batch changes nothing. No node: the
//! batches go straight to the store. Skipped, with one line, without
//! PostgreSQL.

#[allow(dead_code)] // shared with the node tests; this one needs a part
mod common;
#[path = "../benches/workload/mod.rs"]
mod workload;

use alloy::{
    primitives::{keccak256, Address, Bytes, LogData, B256, U256},
    sol_types::SolEvent,
};
use common::{dump, program};
use serde_json::Value;
use strand_bindings::{datasets, gene, ledger, staking};
use strand_e2e::database;
use strand_indexer::{
    abi,
    store::{Batch, BlockRow, EventRow, Store},
};
use workload::Workload;

/// One block of the stream.
struct Block {
    header: BlockRow,
    events: Vec<EventRow>,
}

fn hash(number: u64) -> B256 {
    keccak256(number.to_be_bytes())
}

/// A purpose no real query would have, with every character COPY's text
/// format or JSON escapes.
const ODD_PURPOSE: &str = "HMB\\-\t\"quoted\"\n\r\\N é ∆";

/// Rows the workload rarely makes in block `number`: a transfer to oneself,
/// changes to rows that do not exist, an operator unstaking before it ever
/// staked, a query whose strings need escaping.
fn odd_cases(number: u64) -> Vec<(&'static str, LogData)> {
    let me = Address::repeat_byte(0x42);
    let stranger = Address::repeat_byte(0x43);
    vec![
        ("gene", gene::Transfer { from: me, to: me, value: U256::from(5) }.encode_log_data()),
        (
            "ledger",
            ledger::QuerySubmitted {
                id: 900_000 + number,
                researcher: me,
                operator: stranger,
                specHash: B256::repeat_byte(1),
                spec: Bytes::from_static(b"{\"tab\":\"\t\"}\\"),
                purpose: ODD_PURPOSE.into(),
                rewardPerConsent: U256::MAX,
                maxConsents: u32::MAX,
                minConsents: 0,
                consentDeadline: u64::MAX,
                resultDeadline: u64::MAX,
                researcherKey: Bytes::new(),
                escrow: U256::MAX,
                operatorFee: U256::ZERO,
                protocolFee: U256::ZERO,
            }
            .encode_log_data(),
        ),
        (
            "staking",
            staking::UnstakeRequested {
                operator: stranger,
                amount: U256::from(1),
                unbonding: U256::from(1),
                releaseAt: 9,
            }
            .encode_log_data(),
        ),
        (
            "staking",
            staking::Staked { operator: stranger, amount: U256::MAX, stake: U256::MAX }
                .encode_log_data(),
        ),
        (
            "datasets",
            datasets::DatasetOperatorChanged {
                id: 999_999,
                owner: me,
                previous: me,
                current: stranger,
            }
            .encode_log_data(),
        ),
        (
            "ledger",
            ledger::RewardClaimed { query: 999_999, dataset: 1, owner: me, amount: U256::from(3) }
                .encode_log_data(),
        ),
        (
            "ledger",
            ledger::DisputeLapsed { query: 999_999, challenger: me, bond: U256::from(1) }
                .encode_log_data(),
        ),
    ]
}

/// `blocks` blocks of about `per_block` events each, decoded as the
/// indexer decodes them.
fn stream(blocks: u64, per_block: usize) -> Vec<Block> {
    let decoders = abi::all().unwrap();
    let mut workload = Workload::new(11, 40);
    (1..=blocks)
        .map(|number| {
            let mut logs = workload.block(per_block);
            if number % 10 == 5 {
                logs.extend(odd_cases(number));
            }
            let header = BlockRow { number, hash: hash(number), parent_hash: hash(number - 1) };
            let events = logs
                .into_iter()
                .enumerate()
                .map(|(i, (name, data))| {
                    let log = alloy::primitives::Log { address: program(name), data };
                    let decoded = decoders[name].decode(&log).unwrap().expect("a known event");
                    EventRow {
                        block_hash: header.hash,
                        log_index: i as u64,
                        block_number: number,
                        block_time: Some(1_700_000_000 + 2 * number),
                        tx_hash: keccak256(
                            [number.to_be_bytes(), (i as u64).to_be_bytes()].concat(),
                        ),
                        program: name,
                        address: program(name),
                        name: decoded.name,
                        args: decoded.args,
                    }
                })
                .collect();
            Block { header, events }
        })
        .collect()
}

/// A batch of `blocks` ending at the last of them.
fn batch(blocks: &[Block], undo: bool) -> Batch {
    let last = blocks.last().unwrap().header;
    Batch {
        chain_id: 31337,
        to: last.number,
        to_hash: last.hash,
        blocks: if undo { blocks.iter().map(|b| b.header).collect() } else { vec![last] },
        events: blocks.iter().flat_map(|b| b.events.clone()).collect(),
        transactions: Vec::new(),
        undo,
        prune_below: 0,
    }
}

async fn open(test: &str) -> Option<Store> {
    let url = database(test).await.unwrap()?;
    Some(Store::open(&url).await.unwrap())
}

/// The store after one batch of all of `blocks`.
async fn whole(test: &str, blocks: &[Block]) -> Option<Value> {
    let store = open(test).await?;
    store.commit(&batch(blocks, false)).await.unwrap();
    Some(dump(&store).await)
}

#[tokio::test]
async fn one_batch_one_event_per_batch_and_live_batches_end_in_the_same_rows() {
    let Some(expected) = whole("batching_whole", &stream(40, 40)).await else { return };
    let blocks = stream(40, 40);

    let per_event = open("batching_per_event").await.unwrap();
    for b in &blocks {
        for e in &b.events {
            let mut single = batch(std::slice::from_ref(b), false);
            single.events = vec![e.clone()];
            per_event.commit(&single).await.unwrap();
        }
    }
    assert_eq!(dump(&per_event).await, expected, "one event per batch");

    let live = open("batching_live").await.unwrap();
    let mut at = 0;
    for size in (1..=7).cycle() {
        let end = (at + size).min(blocks.len());
        live.commit(&batch(&blocks[at..end], true)).await.unwrap();
        at = end;
        if at == blocks.len() {
            break;
        }
    }
    assert_eq!(dump(&live).await, expected, "a few blocks per batch, undo log kept");

    let stored = expected["events"].as_array().unwrap().len();
    assert!(stored > 1_600, "{stored} events");
    // Strings come back as they went in, through COPY and through INSERT.
    for rows in [&expected, &dump(&per_event).await] {
        let odd = rows["queries"].as_array().unwrap().iter().find(|q| q["id"] == 900_005).unwrap();
        assert_eq!(odd["purpose"], ODD_PURPOSE);
    }
    for table in ["datasets", "queries", "consents", "disputes", "operators", "balances"] {
        assert!(!expected[table].as_array().unwrap().is_empty(), "no {table}");
    }
}

#[tokio::test]
async fn a_rollback_into_the_middle_of_a_batch_ends_where_an_index_of_the_blocks_before_it_ends() {
    let blocks = stream(30, 30);
    let Some(before) = whole("batching_prefix", &blocks[..13]).await else { return };
    let Some(after) = whole("batching_all", &blocks).await else { return };

    let live = open("batching_rolled_back").await.unwrap();
    for chunk in blocks.chunks(6) {
        live.commit(&batch(chunk, true)).await.unwrap();
    }
    // Block 13 is in the middle of the batch of blocks 13 to 18.
    let removed = live.roll_back(13, hash(13)).await.unwrap();
    assert!(removed > 0);
    assert_eq!(dump(&live).await, before, "rolled back to block 13");

    for chunk in blocks[13..].chunks(4) {
        live.commit(&batch(chunk, true)).await.unwrap();
    }
    assert_eq!(dump(&live).await, after, "indexed again to the end");
}

#[tokio::test]
async fn a_replayed_batch_changes_nothing() {
    let blocks = stream(20, 30);
    let Some(expected) = whole("batching_once", &blocks).await else { return };

    let replayed = open("batching_replayed").await.unwrap();
    replayed.commit(&batch(&blocks[..12], false)).await.unwrap();
    // Blocks 6 to 12 again, with the rest: only the rest is new.
    let n = replayed.commit(&batch(&blocks[5..], false)).await.unwrap();
    let new: usize = blocks[12..].iter().map(|b| b.events.len()).sum();
    assert_eq!(n, new);
    replayed.commit(&batch(&blocks, false)).await.unwrap();
    assert_eq!(dump(&replayed).await, expected);
}
