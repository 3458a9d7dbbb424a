//! The `strand-indexer` binary refuses bad input with one line that says
//! what is wrong and a non-zero exit, before it writes anything: a missing
//! or malformed manifest, a node that does not answer, a node of another
//! chain, a database that does not answer, a manifest whose programs are
//! not on chain, a database that indexes another deployment.

#[allow(dead_code)] // shared with the node tests; these need the manifest
mod common;

use std::process::Command;

use alloy::primitives::Address;
use alloy::providers::Provider;
use common::{place_emitters, program};
use strand_client::deploy::Manifest;
use strand_e2e::{database, StockAnvil};
use strand_indexer::{
    store::Store,
    sync::{Config, Indexer},
};

/// The tests' manifest, for chain `chain_id`.
fn manifest(chain_id: u64) -> Manifest {
    Manifest { chain_id, ..common::manifest() }
}

/// Runs the indexer and returns its exit code and its stderr.
fn indexer(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_strand-indexer"))
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env_remove("STRAND_RPC_URL")
        .env_remove("STRAND_DEPLOYMENT")
        .output()
        .expect("the indexer runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).trim().to_string())
}

#[test]
fn a_missing_or_malformed_manifest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let (code, err) = indexer(&[
        "--manifest",
        missing.to_str().unwrap(),
        "--database-url",
        "postgres://x@127.0.0.1:9/x",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with(&format!(
            "error: cannot read deployment manifest {}: run `strand deploy` first",
            missing.display()
        )),
        "{err}"
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"chainId\": 1}").unwrap();
    let (code, err) =
        indexer(&["--manifest", bad.to_str().unwrap(), "--database-url", "postgres://x@h:9/x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a Strand deployment manifest"), "{err}");
}

#[test]
fn a_node_that_does_not_answer_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    manifest(31337).write(&path).unwrap();
    let (code, err) = indexer(&[
        "--manifest",
        path.to_str().unwrap(),
        "--rpc-url",
        "http://127.0.0.1:9",
        "--database-url",
        "postgres://x@127.0.0.1:9/x",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.lines().last().unwrap(),
        "error: cannot reach the node at http://127.0.0.1:9: is it running?"
    );
}

#[tokio::test]
async fn another_chain_or_an_unreachable_database_stops_it_before_anything_is_written() {
    let test = "another_chain_or_an_unreachable_database";
    let Some(anvil) = StockAnvil::start(test).unwrap() else { return };
    let Some(url) = database(test).await.unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    manifest(1).write(&path).unwrap();
    let m = path.to_str().unwrap();
    let (code, err) = indexer(&["--manifest", m, "--rpc-url", &anvil.url, "--database-url", &url]);
    assert_eq!(code, Some(1));
    assert!(
        err.ends_with(&format!(
            "serves chain 31337 but {m} is for chain 1: point --rpc-url at chain 1 or pass that chain's manifest"
        )),
        "{err}"
    );
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(tables, 0, "nothing was written for a chain that does not match");

    manifest(31337).write(&path).unwrap();
    let (code, err) = indexer(&[
        "--manifest",
        m,
        "--rpc-url",
        &anvil.url,
        "--database-url",
        "postgres://strand:secret@127.0.0.1:9/strand",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://strand@127.0.0.1:9/strand"),
        "{err}"
    );
    assert!(!err.contains("secret"), "the password stays out of messages: {err}");
}

#[tokio::test]
async fn a_stale_manifest_or_another_deployments_database_is_refused() {
    let test = "a_stale_manifest_or_another_deployments_database_is_refused";
    let Some(anvil) = StockAnvil::start(test).unwrap() else { return };
    let Some(url) = database(test).await.unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    manifest(31337).write(&path).unwrap();
    let m = path.to_str().unwrap();

    // Nothing at the manifest's addresses: a devnet restarted since.
    let (code, err) = indexer(&["--manifest", m, "--rpc-url", &anvil.url, "--database-url", &url]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!(
            "the manifest's gene program is not on chain 31337 (no code at {}): the chain was reset or the manifest is stale",
            program("gene")
        )),
        "{err}"
    );

    // Code at both manifests' addresses; the database keeps the first.
    let p = anvil.provider(0).unwrap();
    place_emitters(&p).await;
    let elsewhere = Address::repeat_byte(8);
    let code = alloy::primitives::Bytes::from(strand_e2e::log_emitter());
    p.raw_request::<_, ()>("anvil_setCode".into(), (elsewhere, code)).await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let config = Config::default();
    Indexer::new(store.clone(), p.clone(), &manifest(31337), config.clone()).await.unwrap();
    let mut other = manifest(31337);
    other.programs.ledger.address = elsewhere;
    let err = Indexer::new(store.clone(), p.clone(), &other, config.clone()).await.err().unwrap();
    assert!(
        format!("{err:#}").starts_with("the database holds an index of another deployment"),
        "{err:#}"
    );
    // The same deployment opens it again.
    Indexer::new(store, p, &manifest(31337), config).await.unwrap();
}

#[tokio::test]
async fn a_second_indexer_on_the_same_database_is_refused() {
    let test = "a_second_indexer_on_the_same_database_is_refused";
    let Some(anvil) = StockAnvil::start(test).unwrap() else { return };
    let Some(url) = database(test).await.unwrap() else { return };
    place_emitters(&anvil.provider(0).unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    manifest(31337).write(&path).unwrap();
    let m = path.to_str().unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_strand-indexer"))
        .args(["--manifest", m, "--rpc-url", &anvil.url, "--database-url", &url])
        .args(["--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The first holds the database once its lock shows in pg_locks.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut held = false;
    for _ in 0..300 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
              WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        if n > 0 {
            held = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(held, "the first indexer never took the database");
    let (code, err) = indexer(&["--manifest", m, "--rpc-url", &anvil.url, "--database-url", &url]);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(code, Some(1));
    assert!(err.contains("another strand-indexer is indexing the database at"), "{err}");
}
