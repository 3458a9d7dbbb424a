//! What the indexer's tests share: a log emitter at the programs'
//! addresses on stock anvil, the manifest that names them, a story of
//! events to replay through it, and an in-process index to compare with.

use std::time::Duration;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, LogData, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    sol_types::SolEvent,
};
use serde_json::Value;
use sqlx::Row;
use strand_bindings::{datasets, gene, ledger, staking};
use strand_client::deploy::{Deployed, Manifest, Programs, Settings};
use strand_e2e::{emit_calldata, log_emitter};
use strand_indexer::{
    store::Store,
    sync::{Config, Indexer, Step},
};

const PROGRAMS: [(&str, u8); 4] =
    [("gene", 0xa1), ("staking", 0xa2), ("datasets", 0xa3), ("ledger", 0xa4)];

/// Where the tests place program `name` (`gene`, `staking`, …).
pub(crate) fn program(name: &str) -> Address {
    Address::repeat_byte(PROGRAMS.iter().find(|(n, _)| *n == name).unwrap().1)
}

/// A manifest naming the emitters, deployed at block 1.
pub(crate) fn manifest() -> Manifest {
    let d = |name: &str| Deployed {
        address: program(name),
        block: 1,
        tx_hash: B256::ZERO,
        code_hash: B256::ZERO,
        activation_tx: None,
    };
    Manifest {
        chain_id: 31337,
        deployer: Address::ZERO,
        programs: Programs {
            gene: d("gene"),
            staking: d("staking"),
            datasets: d("datasets"),
            ledger: d("ledger"),
        },
        settings: Settings::devnet(Address::ZERO, Address::ZERO),
    }
}

/// Puts the log emitter at every program's address.
pub(crate) async fn place_emitters(p: &DynProvider) {
    let code = Bytes::from(log_emitter());
    for (name, _) in PROGRAMS {
        p.raw_request::<_, ()>("anvil_setCode".into(), (program(name), code.clone()))
            .await
            .unwrap();
    }
}

fn who(i: u64) -> Address {
    Address::left_padding_from(&(0x1000 + i % 7).to_be_bytes())
}

/// The events of step `i` of a story; `variant` changes amounts and
/// choices so that two forks of the same height differ.
pub(crate) fn story(i: u64, variant: u64) -> Vec<(&'static str, LogData)> {
    let v = variant;
    let mut out = vec![(
        "gene",
        gene::Transfer {
            from: if i.is_multiple_of(3) { Address::ZERO } else { who(i + v) },
            to: who(i * 2 + v),
            value: U256::from(1_000 * i + v),
        }
        .encode_log_data(),
    )];
    out.push((
        "datasets",
        datasets::DatasetRegistered {
            id: i * 10 + v,
            owner: who(i),
            operator: who(99),
            commitment: B256::repeat_byte((i + v) as u8),
        }
        .encode_log_data(),
    ));
    if i.is_multiple_of(2) {
        out.push((
            "staking",
            staking::Staked {
                operator: who(v),
                amount: U256::from(i),
                stake: U256::from(100 * i + v),
            }
            .encode_log_data(),
        ));
    }
    if i % 4 == 1 {
        out.push((
            "ledger",
            ledger::QuerySubmitted {
                id: i,
                researcher: who(3),
                operator: who(99),
                specHash: B256::repeat_byte(7),
                spec: Bytes::from(format!("{{\"block\":{i},\"variant\":{v}}}").into_bytes()),
                purpose: "HMB".into(),
                rewardPerConsent: U256::from(10),
                maxConsents: 5,
                minConsents: 1,
                consentDeadline: 100 + i,
                resultDeadline: 200 + i,
                researcherKey: Bytes::from_static(&[1; 32]),
                escrow: U256::from(53),
                operatorFee: U256::from(2),
                protocolFee: U256::from(1),
            }
            .encode_log_data(),
        ));
    }
    // Decisions on query 1 by the same dataset: an update of one row.
    out.push((
        "ledger",
        ledger::ConsentDecided {
            query: 1,
            dataset: 10,
            owner: who(1),
            decision: (1 + (i + v) % 3) as u8,
            at: 1_000 + i,
            approvals: ((i + v) % 2) as u32,
        }
        .encode_log_data(),
    ));
    if i > 2 && i.is_multiple_of(3) {
        out.push((
            "datasets",
            datasets::DatasetDeactivated {
                id: (i - 2) * 10 + v % 2,
                owner: who(i - 2),
                at: 5_000 + i,
            }
            .encode_log_data(),
        ));
    }
    out
}

/// Mines one block holding `events`, in order, one emitter call each, and
/// checks that the block holds exactly those calls and that all succeeded.
pub(crate) async fn mine_block(p: &DynProvider, events: Vec<(&'static str, LogData)>) {
    p.raw_request::<_, ()>("evm_setAutomine".into(), (false,)).await.unwrap();
    // One fee estimate for the block, not one per transaction.
    let fees = p.estimate_eip1559_fees().await.unwrap();
    let mut sent = Vec::new();
    for (name, log) in events {
        let tx = TransactionRequest::default()
            .with_to(program(name))
            .with_input(emit_calldata(&log))
            .with_gas_limit(200_000)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        sent.push(*p.send_transaction(tx).await.unwrap().tx_hash());
    }
    p.raw_request::<_, String>("evm_mine".into(), ()).await.unwrap();
    p.raw_request::<_, ()>("evm_setAutomine".into(), (true,)).await.unwrap();
    // The block's receipts in one call: `evm_mine` returns once the block
    // is mined, and a pending-transaction watcher would poll every block.
    let block = p.get_block_number().await.unwrap();
    let receipts = p.get_block_receipts(block.into()).await.unwrap().unwrap_or_default();
    let mined: Vec<B256> = receipts.iter().map(|r| r.transaction_hash).collect();
    assert_eq!(mined, sent, "block {block} holds other calls than those sent");
    assert!(receipts.iter().all(|r| r.status()), "an emitter call in block {block} failed");
}

/// Steps `indexer` until it reports it has caught up; returns what it did.
pub(crate) async fn catch_up(indexer: &mut Indexer) -> Vec<Step> {
    let mut steps = Vec::new();
    for _ in 0..200 {
        let step = indexer.step().await.unwrap();
        if step == Step::CaughtUp {
            return steps;
        }
        steps.push(step);
    }
    panic!("the indexer did not catch up: {steps:?}");
}

/// The binary's defaults, with a `window`-block reorg window and a short
/// poll.
pub(crate) fn config(window: u64) -> Config {
    Config { reorg_window: window, poll: Duration::from_millis(10), ..Default::default() }
}

/// Every table the indexer writes, as canonical JSON.
#[allow(dead_code)] // the crash test compares rows its own way
pub(crate) async fn dump(store: &Store) -> Value {
    let mut out = serde_json::Map::new();
    for (table, order) in [
        ("events", "block_number, log_index"),
        ("transactions", "block_number, tx_hash"),
        ("datasets", "id"),
        ("queries", "id"),
        ("consents", "query, dataset"),
        ("disputes", "query"),
        ("operators", "address"),
        ("balances", "address"),
        ("checkpoint", "id"),
    ] {
        let rows =
            sqlx::query(&format!("SELECT to_jsonb(t)::TEXT FROM {table} t ORDER BY {order}"))
                .fetch_all(store.pool())
                .await
                .unwrap();
        let rows: Vec<Value> =
            rows.iter().map(|r| serde_json::from_str(&r.get::<String, _>(0)).unwrap()).collect();
        out.insert(table.into(), Value::Array(rows));
    }
    Value::Object(out)
}

/// A clean index of the chain `provider` serves, in the database at `url`
/// emptied first.
#[allow(dead_code)] // the crash test indexes through the binary
pub(crate) async fn index_afresh(url: &str, provider: &DynProvider, manifest: &Manifest) -> Store {
    let store = Store::open(url).await.unwrap();
    sqlx::query(
        "TRUNCATE events, transactions, datasets, queries, consents, disputes, operators,
                  balances, blocks, checkpoint, undo_log",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let mut indexer =
        Indexer::new(store.clone(), provider.clone(), manifest, config(64)).await.unwrap();
    catch_up(&mut indexer).await;
    store
}
