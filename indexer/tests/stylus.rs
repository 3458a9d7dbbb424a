//! The reorg suite against the deployed programs on a Stylus devnet: real
//! transfers, stakes, registrations, a query and consent decisions, forked
//! with the node's snapshot and revert at depths 1 to 10. After each fork
//! the database equals a clean index of the canonical chain, and every
//! balance the indexer holds is the one GENE reports. Skipped, with one
//! line, without arbos-anvil (or `STRAND_RPC_URL`) or PostgreSQL.

#[allow(dead_code)] // shared with the stock-anvil tests; this one needs a part
mod common;

use std::{collections::BTreeSet, path::Path};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::{keccak256, utils::parse_ether, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use common::{catch_up, config, dump, index_afresh};
use serde_json::Value;
use sqlx::Row;
use strand_bindings::{
    datasets::IDatasets,
    gene::IGene,
    ledger::{Configured, ILedger, Initialized, OwnershipTransferred},
    staking::IStaking,
};
use strand_client::deploy::{deploy, Artifacts, Manifest, Settings};
use strand_e2e::{database, Confirm, Devnet};
use strand_indexer::{
    api::{router, Api},
    store::Store,
    sync::{Indexer, Step},
};
use tower::ServiceExt;

const OPERATOR: usize = 1;
const RESEARCHER: usize = 2;
/// Development keys of the dataset owners.
const OWNERS: [usize; 3] = [3, 4, 5];

/// One chain and the programs on it.
struct Chain {
    devnet: Devnet,
    m: Manifest,
}

impl Chain {
    /// A provider for key `i`, made afresh: a revert takes nonces back, and
    /// a provider would keep those it cached.
    fn signer(&self, i: usize) -> DynProvider {
        self.devnet.provider(i).unwrap()
    }

    fn gene(&self, i: usize) -> IGene::IGeneInstance<DynProvider> {
        IGene::new(self.m.programs.gene.address, self.signer(i))
    }

    fn ledger(&self, i: usize) -> ILedger::ILedgerInstance<DynProvider> {
        ILedger::new(self.m.programs.ledger.address, self.signer(i))
    }

    fn datasets(&self, i: usize) -> IDatasets::IDatasetsInstance<DynProvider> {
        IDatasets::new(self.m.programs.datasets.address, self.signer(i))
    }

    /// Transaction `i` of fork `variant`, one block each: a transfer, a
    /// new dataset, or a consent decision that flips the owner's last one.
    async fn act(&self, i: u64, variant: u64, query: u64) {
        let owner = OWNERS[(i % 3) as usize];
        match (i + variant) % 3 {
            0 => {
                let to = self.devnet.address(OWNERS[(variant % 3) as usize]);
                let amount = U256::from(1_000 * i + variant + 1);
                send(self.gene(RESEARCHER).transfer(to, amount)).await;
            }
            1 => {
                let commitment = keccak256([i.to_be_bytes(), variant.to_be_bytes()].concat());
                let operator = self.devnet.address(OPERATOR);
                let r = self.datasets(owner);
                send(r.register(commitment, operator)).await;
            }
            _ => {
                // Each owner's first dataset: ids 1 to 3, registered in order.
                let dataset = (i % 3) + 1;
                let l = self.ledger(owner);
                let decision = l.consent(query, dataset).call().await.unwrap()._0;
                if decision == 1 {
                    send(l.deny(query, dataset)).await;
                } else {
                    send(l.approve(query, dataset)).await;
                }
            }
        }
    }
}

#[tokio::test]
async fn reorgs_of_the_deployed_programs_end_equal_to_a_clean_index() {
    let test = "reorgs_of_the_deployed_programs_end_equal_to_a_clean_index";
    let Some(devnet) = Devnet::find(test).unwrap() else { return };
    let Some(url) = database("stylus_live").await.unwrap() else { return };
    let Some(clean_url) = database("stylus_clean").await.unwrap() else { return };
    let admin = devnet.provider(0).unwrap();
    let artifacts =
        Artifacts::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/artifacts"))
            .expect("the programs' WASM: run scripts/build-contracts.sh first");
    let settings = Settings::devnet(devnet.address(0), devnet.address(9));
    let (m, _) =
        deploy(&admin, devnet.address(0), &artifacts, &settings, None, true, |_| {}).await.unwrap();
    let chain = Chain { devnet, m };

    // The operator stakes, the researcher holds GENE, three owners each
    // register a dataset the operator holds, and a query asks them.
    let (op, res) = (chain.devnet.address(OPERATOR), chain.devnet.address(RESEARCHER));
    for to in [op, res] {
        send(chain.gene(0).transfer(to, parse_ether("2000").unwrap())).await;
    }
    let staking = chain.m.programs.staking.address;
    send(chain.gene(OPERATOR).approve(staking, parse_ether("1000").unwrap())).await;
    send(IStaking::new(staking, chain.signer(OPERATOR)).stake(parse_ether("1000").unwrap())).await;
    for (n, &owner) in OWNERS.iter().enumerate() {
        let r = chain.datasets(owner);
        send(r.register(B256::repeat_byte(n as u8 + 1), op)).await;
    }
    let ledger = chain.m.programs.ledger.address;
    send(chain.gene(RESEARCHER).approve(ledger, parse_ether("100").unwrap())).await;
    let now =
        admin.get_block(alloy::eips::BlockId::latest()).await.unwrap().unwrap().header.timestamp;
    let spec = br#"{"kind":"carrier_count","chrom":"2","pos":23368,"alt":"A"}"#;
    let researcher = chain.ledger(RESEARCHER);
    let submit = researcher.submitQuery(
        keccak256(spec),
        Bytes::from_static(spec),
        "HMB".into(),
        op,
        parse_ether("1").unwrap(),
        10,
        2,
        now + 30 * 86_400,
        now + 60 * 86_400,
        Bytes::from(vec![0x42; 32]),
        U256::ZERO,
        0,
        B256::ZERO,
        B256::ZERO,
    );
    let query = submit.call().await.unwrap();
    send(submit).await;

    let store = Store::open(&url).await.unwrap();
    let reader = chain.signer(0);
    let mut indexer =
        Indexer::new(store.clone(), reader.clone(), &chain.m, config(64)).await.unwrap();
    catch_up(&mut indexer).await;

    let mut variant = 0;
    for depth in 1..=10u64 {
        let height = reader.get_block_number().await.unwrap();
        let snapshot: U256 = reader.raw_request("evm_snapshot".into(), ()).await.unwrap();
        for i in 1..=depth {
            chain.act(height + i, variant, query).await;
        }
        catch_up(&mut indexer).await;
        variant += 1;
        let reverted: bool = reader.raw_request("evm_revert".into(), (snapshot,)).await.unwrap();
        assert!(reverted, "the node did not revert to its snapshot");
        for i in 1..=depth + 1 {
            chain.act(height + i, variant, query).await;
        }
        let steps = catch_up(&mut indexer).await;
        assert!(
            steps.iter().any(|s| matches!(s, Step::RolledBack(a) if *a == height)),
            "depth {depth}: expected a rollback to {height}, got {steps:?}"
        );

        let clean = index_afresh(&clean_url, &reader, &chain.m).await;
        assert_eq!(dump(&store).await, dump(&clean).await, "depth {depth}");
    }

    // Every balance the index holds is GENE's own, and the query's
    // approvals are the ledger's.
    let rows = sqlx::query("SELECT address, balance::TEXT FROM balances")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(rows.len() >= 5, "{} balances indexed", rows.len());
    let gene = chain.gene(0);
    for r in rows {
        let address = Address::from_slice(&r.get::<Vec<u8>, _>(0));
        let indexed: U256 = r.get::<String, _>(1).parse().unwrap();
        assert_eq!(indexed, gene.balanceOf(address).call().await.unwrap(), "balance of {address}");
    }
    let approvals: i64 = sqlx::query("SELECT approvals FROM queries WHERE id::BIGINT = $1")
        .bind(query as i64)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    let on_chain = chain.ledger(0).query(query).call().await.unwrap();
    assert_eq!(approvals as u32, on_chain._4, "approvals of query {query}");

    // The query runs to its end: every owner approves, the operator
    // answers after the consent deadline, anyone finalises after the
    // challenge window, one owner claims.
    for (n, &owner) in OWNERS.iter().enumerate() {
        let l = chain.ledger(owner);
        if l.consent(query, n as u64 + 1).call().await.unwrap()._0 != 1 {
            send(l.approve(query, n as u64 + 1)).await;
        }
    }
    // The third owner withdraws its dataset before the answer: the result
    // may still count its consent, but it is not paid.
    send(chain.datasets(OWNERS[2]).deactivate(3)).await;
    travel(&reader, 30 * 86_400 + 1).await;
    send(chain.ledger(OPERATOR).postResult(
        query,
        B256::repeat_byte(0xc0),
        3,
        Bytes::from_static(b"sealed"),
    ))
    .await;
    travel(&reader, 86_400 + 1).await;
    send(chain.ledger(0).finalize(query)).await;
    send(chain.ledger(OWNERS[0]).claim(vec![query], vec![1])).await;
    catch_up(&mut indexer).await;
    let refused = chain.ledger(OWNERS[2]).claim(vec![query], vec![3]).call().await;
    assert!(refused.is_err(), "the chain pays a withdrawn dataset");

    // Its gas is that of every transaction with a ledger event naming it,
    // as the receipts on chain say.
    let not_a_query = [
        OwnershipTransferred::SIGNATURE_HASH,
        Initialized::SIGNATURE_HASH,
        Configured::SIGNATURE_HASH,
    ];
    let logs = reader
        .get_logs(&Filter::new().address(ledger).from_block(chain.m.programs.ledger.block))
        .await
        .unwrap();
    let txs: BTreeSet<B256> = logs
        .iter()
        .filter(|l| !not_a_query.contains(&l.topics()[0]))
        .map(|l| l.transaction_hash.unwrap())
        .collect();
    assert!(txs.len() >= 6, "{} transactions named the query", txs.len());
    let (mut gas, mut cost) = (0u128, 0u128);
    for hash in txs {
        let r = reader.get_transaction_receipt(hash).await.unwrap().unwrap();
        gas += u128::from(r.gas_used);
        cost += u128::from(r.gas_used) * r.effective_gas_price;
    }
    let (status, economics) = get(&store, "/economics").await;
    assert_eq!(status, StatusCode::OK, "{economics}");
    let q = &economics["queries"][0];
    assert_eq!(q["query"], query);
    assert_eq!(q["gasUsed"], gas.to_string(), "{economics}");
    assert_eq!(q["gasCost"], cost.to_string(), "{economics}");
    assert_eq!(q["consentsUsed"], 3);
    assert_eq!(economics["gasUsed"], gas.to_string());

    // The owners' rewards as the chain has them: claimed, claimable, and
    // the withdrawn dataset's consent unpaid.
    for (n, status) in [(0, "claimed"), (1, "claimable"), (2, "not paid (consent not used)")] {
        let owner = chain.devnet.address(OWNERS[n]);
        let (code, rewards) = get(&store, &format!("/owners/{owner}/rewards")).await;
        assert_eq!(code, StatusCode::OK, "{rewards}");
        assert_eq!(rewards[0]["dataset"], n + 1, "{rewards}");
        assert_eq!(rewards[0]["status"], status, "{rewards}");
    }
}

/// Sends `call` and waits for its receipt, which must show success.
async fn send<P: Provider, D: CallDecoder>(call: CallBuilder<P, D>) {
    call.send().await.unwrap().confirmed().await.unwrap();
}

/// `GET uri` from the read API over `store`: status and JSON body.
async fn get(store: &Store, uri: &str) -> (StatusCode, Value) {
    let api = router(Api { pool: store.pool().clone(), metrics: Default::default() });
    let response = api.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// Moves the node's clock `seconds` ahead and mines a block there.
async fn travel(p: &DynProvider, seconds: u64) {
    p.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,)).await.unwrap();
    p.raw_request::<_, String>("evm_mine".into(), ()).await.unwrap();
}
