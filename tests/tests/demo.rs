//! The demo's story (`scripts/demo.sh`) on a fresh Stylus devnet and a
//! fresh database, through the built `strand` and `strand-indexer`
//! binaries: the chain state and the indexer's tables must agree with each
//! other and with the VCF, and nothing identifying (no sample ID, no VCF
//! line, no genotype, no piece of an owner's file) may appear in any event,
//! any transaction's calldata, any indexer table, or the indexer's and the
//! devnet's logs. Skipped, with one line saying why, without a Stylus
//! devnet or PostgreSQL.

use std::path::{Path, PathBuf};

use alloy::{
    eips::BlockNumberOrTag, primitives::utils::parse_ether, providers::Provider, rpc::types::Filter,
};
use sqlx::{Connection, Row};
use strand_e2e::{
    story::{self, Choice, Setup},
    Devnet,
};

/// `target/<profile>/NAME`, built by `cargo test --workspace` (the CLI's
/// and the indexer's own integration tests make cargo build them).
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let bin = dir.join(name);
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo test --workspace` or `cargo build -p strand-cli -p strand-indexer`",
        bin.display()
    );
    bin
}

/// Strings that identify a sample or carry its data, for the privacy scan:
/// every sample ID of the file, every record line of each owner's VCF and
/// each called genotype field, the VCF header, and slices of each owner's
/// compressed file.
fn secrets(text: &str, owners: &Path) -> Vec<Vec<u8>> {
    let mut needles: Vec<Vec<u8>> = vec![b"##fileformat=VCF".to_vec()];
    let header = text.lines().find(|l| l.starts_with("#CHROM")).expect("a header line");
    needles.extend(header.split('\t').skip(9).map(|id| id.as_bytes().to_vec()));
    for n in 0..20 {
        let (vcf, _) = story::sample_vcf(text, n);
        for line in vcf.lines().filter(|l| !l.starts_with('#')) {
            needles.push(line.as_bytes().to_vec());
            let genotype = line.rsplit('\t').next().unwrap_or_default();
            if !genotype.starts_with("./.") {
                needles.push(genotype.as_bytes().to_vec());
            }
        }
    }
    for entry in std::fs::read_dir(owners).expect("the owners' folder") {
        let file = std::fs::read(entry.expect("an entry").path()).expect("an owner's file");
        for at in [file.len() / 4, file.len() / 2, 3 * file.len() / 4] {
            needles.push(file[at..(at + 48).min(file.len())].to_vec());
        }
    }
    needles.sort();
    needles.dedup();
    needles
}

/// Finds the needles in a haystack, in their own form or hex-encoded (as
/// PostgreSQL prints `bytea` and JSON-RPC prints bytes).
struct Scanner {
    finders: Vec<(memchr::memmem::Finder<'static>, usize)>,
    needles: Vec<Vec<u8>>,
}

impl Scanner {
    fn new(needles: Vec<Vec<u8>>) -> Self {
        let mut finders = Vec::new();
        for (i, n) in needles.iter().enumerate() {
            finders.push((memchr::memmem::Finder::new(n).into_owned(), i));
            let hex = alloy::hex::encode(n).into_bytes();
            finders.push((memchr::memmem::Finder::new(&hex).into_owned(), i));
        }
        Self { finders, needles }
    }

    /// The first needle found in `hay`, as text.
    fn leak(&self, hay: &[u8]) -> Option<String> {
        let lower = hay.to_ascii_lowercase();
        self.finders
            .iter()
            .find(|(f, _)| f.find(hay).is_some() || f.find(&lower).is_some())
            .map(|(_, i)| String::from_utf8_lossy(&self.needles[*i]).into_owned())
    }
}

#[tokio::test]
async fn the_demo_story_holds_together_and_leaks_nothing() {
    let test = "the_demo_story_holds_together_and_leaks_nothing";
    let Some(devnet) = Devnet::find(test).unwrap() else { return };
    let Some(database_url) = strand_e2e::database(test).await.unwrap() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = tempfile_dir();
    let setup = Setup {
        strand: binary("strand"),
        indexer: binary("strand-indexer"),
        rpc_url: devnet.url.clone(),
        database_url: database_url.clone(),
        manifest: work.join("deployment.json"),
        work: work.clone(),
        artifacts: root.join("contracts/artifacts"),
        vcf: root.join("testdata/1kg.vcf.gz"),
    };
    let outcome = story::run(&setup, |line| eprintln!("{line}")).await.unwrap();
    eprintln!("{}", outcome.render());

    // The story's own cross-checks, and the figures behind them.
    assert!(outcome.ok(), "a cross-check failed:\n{}", outcome.render());
    let approved: Vec<usize> = (0..20).filter(|&n| Choice::of(n) == Choice::Approve).collect();
    let text = story::read_vcf(&setup.vcf).unwrap();
    assert_eq!(outcome.expected, story::carriers_in_file(&text, "23368", &approved).unwrap());
    assert_eq!(outcome.answer, 9, "9 of the first 14 samples carry A at 2:23368");
    assert_eq!(outcome.consents_used, 14);
    assert_eq!(outcome.datasets, (1..=20).collect::<Vec<u64>>());
    assert_eq!(outcome.indexed_state, "finalised");
    let decisions: Vec<u8> = outcome.chain_trail.iter().map(|d| d.decision).collect();
    let mut expected = vec![1u8; 14];
    expected.extend([2, 2, 2, 1, 3]);
    assert_eq!(decisions, expected, "14 approvals, 3 denials, one approval revoked");
    assert_eq!(outcome.indexed_trail, outcome.chain_trail);
    for h in &outcome.holdings {
        assert_eq!(h.chain, h.indexed, "{} on chain and in PostgreSQL", h.name);
    }
    let researcher = outcome.holdings.iter().find(|h| h.name == "researcher").unwrap();
    // 20 × 10 GENE escrowed with 6% fees; 6 unused consents come back.
    assert_eq!(researcher.change, -(parse_ether("152").unwrap().to::<i128>()));

    // The indexer's tables agree with the chain row by row for the query.
    let mut db = sqlx::PgConnection::connect(&database_url).await.unwrap();
    let row = sqlx::query(
        "SELECT state, approvals, consents_used, owners_paid::TEXT FROM queries WHERE id = $1::NUMERIC",
    )
    .bind(outcome.query.to_string())
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "finalised");
    assert_eq!(row.get::<i64, _>(1), 14);
    assert_eq!(row.get::<Option<i64>, _>(2), Some(14));
    assert_eq!(row.get::<String, _>(3), parse_ether("140").unwrap().to_string());
    let paid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM consents WHERE query = $1::NUMERIC AND reward_paid IS NOT NULL",
    )
    .bind(outcome.query.to_string())
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(paid, 14, "one paid reward per standing approval");

    // The privacy scan.
    let needles = secrets(&text, &work.join("owners"));
    assert!(needles.len() > 629 + 20, "the scan looks for every sample and every record");
    let scan = Scanner::new(needles);
    let owner_file =
        std::fs::read_dir(work.join("owners")).unwrap().next().unwrap().unwrap().path();
    let own = std::fs::read(&owner_file).unwrap();
    assert!(scan.leak(&own).is_some(), "the scan finds data where data is (control)");

    let p = devnet.provider(0).unwrap();
    let head = p.get_block_number().await.unwrap();
    let logs = p.get_logs(&Filter::new().from_block(0).to_block(head)).await.unwrap();
    // Every log of the four programs is an indexed event (the indexer
    // caught up before the story's cross-checks).
    let m = strand_client::deploy::Manifest::read(&setup.manifest).unwrap();
    let ours: Vec<_> = m.programs.iter().iter().map(|(_, d)| d.address).collect();
    let indexed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&mut db).await.unwrap();
    let of_programs = logs.iter().filter(|l| ours.contains(&l.address())).count();
    assert_eq!(of_programs as i64, indexed, "logs of the programs up to block {head}");
    assert!(indexed > 80, "the story emitted {indexed} events");
    for log in &logs {
        let mut bytes: Vec<u8> = log.topics().iter().flat_map(|t| t.0).collect();
        bytes.extend_from_slice(&log.data().data);
        if let Some(n) = scan.leak(&bytes) {
            panic!("an event of {} carries {n:?}", log.address());
        }
    }
    let mut transactions = 0;
    for number in 0..=head {
        let block = p
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .full()
            .await
            .unwrap()
            .expect("a block up to the head");
        for tx in block.transactions.txns() {
            transactions += 1;
            let input = alloy::consensus::Transaction::input(tx);
            if let Some(n) = scan.leak(input) {
                panic!("calldata of a transaction in block {number} carries {n:?}");
            }
        }
    }
    assert!(transactions > 60, "the scan read every transaction ({transactions})");

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "events"));
    for table in &tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::TEXT FROM \"{table}\" t"))
            .fetch_all(&mut db)
            .await
            .unwrap();
        for r in rows {
            if let Some(n) = scan.leak(r.as_bytes()) {
                panic!("table {table} holds {n:?}");
            }
        }
    }
    let mut logs_scanned = vec![outcome.indexer_log.clone()];
    logs_scanned.extend(devnet.log.clone());
    for path in logs_scanned {
        let text = std::fs::read(&path).unwrap();
        if let Some(n) = scan.leak(&text) {
            panic!("{} holds {n:?}", path.display());
        }
    }
    std::fs::remove_dir_all(&work).ok();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strand-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
