//! The indexer against a real node and a real PostgreSQL: stock anvil with
//! a log emitter at the programs' addresses replays the events the
//! programs emit; anvil's snapshot and revert make reorgs of depth 1 to 10.
//! After each, the database must equal a clean index of the canonical
//! chain. Skipped, with one line, without PostgreSQL or stock anvil.

mod common;

use alloy::{
    primitives::U256,
    providers::{DynProvider, Provider},
};
use common::{catch_up, config, dump, index_afresh, manifest, mine_block, place_emitters, story};
use sqlx::Row;
use strand_e2e::{database, StockAnvil};
use strand_indexer::{
    store::Store,
    sync::{Indexer, Step},
};

/// Mines block `i` of the story: all its events in one block.
async fn mine(p: &DynProvider, i: u64, variant: u64) {
    mine_block(p, story(i, variant)).await;
}

#[tokio::test]
async fn reorgs_of_depth_1_to_10_end_equal_to_a_clean_index() {
    let Some(anvil) =
        StockAnvil::start("reorgs_of_depth_1_to_10_end_equal_to_a_clean_index").unwrap()
    else {
        return;
    };
    let Some(url) = database("reorg_live").await.unwrap() else { return };
    let Some(clean_url) = database("reorg_clean").await.unwrap() else { return };
    let mut p = anvil.provider(0).unwrap();
    place_emitters(&p).await;
    let store = Store::open(&url).await.unwrap();
    let mut indexer =
        Indexer::new(store.clone(), p.clone(), &manifest(), config(64)).await.unwrap();

    let mut height = p.get_block_number().await.unwrap();
    let mut variant = 0;
    for depth in 1..=10u64 {
        // Build `depth` blocks on top of a snapshot and index them.
        let snapshot: U256 = p.raw_request("evm_snapshot".into(), ()).await.unwrap();
        for i in 1..=depth {
            mine(&p, height + i, variant).await;
        }
        catch_up(&mut indexer).await;
        // Replace them with a longer fork.
        variant += 1;
        let reverted: bool = p.raw_request("evm_revert".into(), (snapshot,)).await.unwrap();
        assert!(reverted);
        // The revert takes the account's nonce back: a fresh provider
        // forgets the nonces its predecessor cached.
        p = anvil.provider(0).unwrap();
        for i in 1..=depth + 1 {
            mine(&p, height + i, variant).await;
        }
        let steps = catch_up(&mut indexer).await;
        assert!(
            steps.iter().any(|s| matches!(s, Step::RolledBack(a) if *a == height)),
            "depth {depth}: expected a rollback to {height}, got {steps:?}"
        );
        height += depth + 1;

        // A clean index of the canonical chain agrees row for row.
        let clean = index_afresh(&clean_url, &p, &manifest()).await;
        assert_eq!(dump(&store).await, dump(&clean).await, "depth {depth}");
    }
    let events: i64 =
        sqlx::query("SELECT count(*) FROM events").fetch_one(store.pool()).await.unwrap().get(0);
    assert!(events > 100, "the story emitted {events} events");
}

#[tokio::test]
async fn a_backfill_in_ranges_equals_a_block_by_block_index() {
    let Some(anvil) =
        StockAnvil::start("a_backfill_in_ranges_equals_a_block_by_block_index").unwrap()
    else {
        return;
    };
    let Some(a_url) = database("backfill_ranges").await.unwrap() else { return };
    let Some(b_url) = database("backfill_live").await.unwrap() else { return };
    let p = anvil.provider(0).unwrap();
    place_emitters(&p).await;
    for i in 1..=40 {
        mine(&p, i, 0).await;
    }
    // A 4-block window: nearly all of it is backfilled in log ranges.
    let a = Store::open(&a_url).await.unwrap();
    let mut ranges = Indexer::new(a.clone(), p.clone(), &manifest(), config(4)).await.unwrap();
    catch_up(&mut ranges).await;
    let b = Store::open(&b_url).await.unwrap();
    let mut live = Indexer::new(b.clone(), p.clone(), &manifest(), config(1_000)).await.unwrap();
    catch_up(&mut live).await;
    let (da, db) = (dump(&a).await, dump(&b).await);
    assert_eq!(da["events"], db["events"]);
    assert_eq!(da["balances"], db["balances"]);
    assert_eq!(da["datasets"], db["datasets"]);
    assert!(da["events"].as_array().unwrap().len() > 150);
    // Every transaction that emitted a ledger event has its receipt's gas.
    let txs = sqlx::query(
        "SELECT DISTINCT e.tx_hash, t.gas_used::TEXT, t.effective_gas_price::TEXT, t.sender
           FROM events e LEFT JOIN transactions t USING (block_hash, tx_hash)
          WHERE e.program = 'ledger'",
    )
    .fetch_all(a.pool())
    .await
    .unwrap();
    assert!(txs.len() > 20, "{} ledger transactions", txs.len());
    for r in txs {
        let hash = alloy::primitives::B256::from_slice(&r.get::<Vec<u8>, _>(0));
        let receipt = p.get_transaction_receipt(hash).await.unwrap().unwrap();
        let stored: (Option<String>, Option<String>, Option<Vec<u8>>) =
            (r.get(1), r.get(2), r.get(3));
        assert_eq!(
            stored,
            (
                Some(receipt.gas_used.to_string()),
                Some(receipt.effective_gas_price.to_string()),
                Some(receipt.from.to_vec())
            ),
            "transaction {hash}"
        );
    }
    // Balances are the sum of the transfers.
    let rows = sqlx::query("SELECT '0x' || encode(address, 'hex'), balance::TEXT FROM balances")
        .fetch_all(a.pool())
        .await
        .unwrap();
    for r in rows {
        let (addr, bal): (String, String) = (r.get(0), r.get(1));
        let expected: String = sqlx::query(
            "SELECT (COALESCE(SUM(value) FILTER (WHERE lower(\"to\") = $1), 0)
                   - COALESCE(SUM(value) FILTER (WHERE lower(\"from\") = $1), 0))::TEXT FROM transfers",
        )
        .bind(&addr)
        .fetch_one(a.pool())
        .await
        .unwrap()
        .get(0);
        assert_eq!(bal, expected, "{addr}");
    }
}
