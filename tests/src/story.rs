//! The whole Strand story on real genomes, told through the real `strand`
//! and `strand-indexer` binaries: twenty 1000 Genomes samples become twenty
//! owners' datasets, a researcher pays for a carrier count, owners decide,
//! the operator answers over the approved samples only, everyone settles,
//! and the chain, the indexer's mirror and the VCF itself are checked
//! against each other.
//!
//! `scripts/demo.sh` runs it on the devnet and prints the [`Outcome`]; the
//! end-to-end test `tests/tests/demo.rs` runs it on a fresh devnet and
//! asserts on it.

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    network::TransactionBuilder,
    primitives::{keccak256, utils::format_ether, Address, U256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use eyre::{bail, ensure, eyre, WrapErr};
use serde_json::Value;
use strand_bindings::{gene::IGene, ledger::ILedger};

use crate::DEV_KEYS;

/// The site asked about: chromosome 2, position 23,368, C>A (rs12714397),
/// carried by about two thirds of the first twenty samples.
pub const SPEC: &str = r#"{"kind":"carrier_count","chrom":"2","pos":23368,"ref":"C","alt":"A"}"#;

/// What each of the twenty owners does with the query, by sample order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Approves, and is paid.
    Approve,
    /// Denies.
    Deny,
    /// Approves, then revokes before the answer.
    Revoke,
    /// Never answers.
    Ignore,
}

impl Choice {
    /// Fourteen approve, three deny, one revokes, two ignore.
    pub fn of(sample: usize) -> Self {
        match sample {
            0..=13 => Self::Approve,
            14..=16 => Self::Deny,
            17 => Self::Revoke,
            _ => Self::Ignore,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Approve => "approves",
            Self::Deny => "denies",
            Self::Revoke => "approves, then revokes",
            Self::Ignore => "does not answer",
        }
    }
}

/// Where the story runs and what it runs.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The `strand` binary.
    pub strand: PathBuf,
    /// The `strand-indexer` binary.
    pub indexer: PathBuf,
    /// A Stylus chain with the standard development accounts funded.
    pub rpc_url: String,
    /// A PostgreSQL database the indexer may fill (fresh, or one it
    /// indexed this deployment into before).
    pub database_url: String,
    /// A folder for the run: local state, owners' files, the vault, logs.
    pub work: PathBuf,
    /// The deployment manifest to reuse or write.
    pub manifest: PathBuf,
    /// The built programs (`scripts/build-contracts.sh`).
    pub artifacts: PathBuf,
    /// The multi-sample 1000 Genomes VCF (gzip).
    pub vcf: PathBuf,
}

/// One account's GENE, as the chain and the indexer see it.
#[derive(Clone, Debug)]
pub struct Holding {
    /// Who it is.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// `balanceOf` on the chain.
    pub chain: U256,
    /// The indexer's `balances` row.
    pub indexed: U256,
    /// Change on the chain during this run (signed, in wei).
    pub change: i128,
}

/// One consent decision of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Dataset decided on.
    pub dataset: u64,
    /// 1 approved, 2 denied, 3 revoked.
    pub decision: u8,
    /// Block it was recorded in.
    pub block: u64,
}

/// What the story did and found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The query's id.
    pub query: u64,
    /// Datasets registered in this run, by sample order.
    pub datasets: Vec<u64>,
    /// Carriers the operator's answer reports, decrypted by the researcher.
    pub answer: u64,
    /// Carriers counted straight from the VCF over the approved samples.
    pub expected: u64,
    /// Consents the result used.
    pub consents_used: u64,
    /// Who holds what at the end.
    pub holdings: Vec<Holding>,
    /// The query's decisions as the chain's events record them.
    pub chain_trail: Vec<Decision>,
    /// The query's decisions as the indexer serves them.
    pub indexed_trail: Vec<Decision>,
    /// The query's state in the indexer.
    pub indexed_state: String,
    /// The indexer's log.
    pub indexer_log: PathBuf,
    /// Cross-checks, each with whether it held.
    pub checks: Vec<(String, bool)>,
}

impl Outcome {
    /// Whether every cross-check held.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }

    /// The table of holdings, the answer, the audit trail and the checks.
    pub fn render(&self) -> String {
        let mut s = format!(
            "\nquery {}: {} carriers of 2:23368 A among {} consenting samples (VCF says {})\n\n",
            self.query, self.answer, self.consents_used, self.expected
        );
        s += &format!(
            "{:<26} {:<42} {:>16} {:>16} {:>12}\n",
            "account", "address", "GENE (chain)", "GENE (indexer)", "this run"
        );
        for h in &self.holdings {
            s += &format!(
                "{:<26} {:<42} {:>16} {:>16} {:>12}\n",
                h.name,
                h.address,
                gene(h.chain),
                gene(h.indexed),
                signed_gene(h.change)
            );
        }
        s += &format!("\naudit trail of query {} (indexer):\n", self.query);
        for d in &self.indexed_trail {
            let word =
                ["?", "approved", "denied", "revoked"].get(d.decision as usize).unwrap_or(&"?");
            s += &format!("  block {:>5}  dataset {:>4}  {word}\n", d.block, d.dataset);
        }
        s += "\nchecks:\n";
        for (what, ok) in &self.checks {
            s += &format!("  [{}] {what}\n", if *ok { "ok" } else { "FAILED" });
        }
        s
    }
}

/// GENE with up to four decimals.
fn gene(wei: U256) -> String {
    let text = format_ether(wei);
    match text.split_once('.') {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{}", &frac[..frac.len().min(4)])
            }
        }
        None => text,
    }
}

fn signed_gene(wei: i128) -> String {
    let text = gene(U256::from(wei.unsigned_abs()));
    match wei {
        0 => "0".into(),
        w if w < 0 => format!("-{text}"),
        _ => format!("+{text}"),
    }
}

/// A development key of the twenty owners: derived from their number, so a
/// second run on the same chain finds the same owners.
pub fn owner_key(n: usize) -> PrivateKeySigner {
    let secret = keccak256(format!("strand demo owner {n}"));
    PrivateKeySigner::from_bytes(&secret).expect("a keccak output is a valid key")
}

/// Runs `strand` for one account and returns the JSON it printed.
struct Cli<'a> {
    setup: &'a Setup,
    home: PathBuf,
}

impl Cli<'_> {
    fn run(&self, key: Option<&str>, args: &[&str]) -> eyre::Result<Value> {
        let mut cmd = Command::new(&self.setup.strand);
        cmd.arg("--json")
            .args(args)
            .env("STRAND_RPC_URL", &self.setup.rpc_url)
            .env("STRAND_HOME", &self.home)
            .env("STRAND_DEPLOYMENT", &self.setup.manifest)
            .env_remove("STRAND_ACCOUNT")
            .env_remove("STRAND_KEYSTORE")
            .env_remove("STRAND_INDEXER_URL")
            .env_remove("STRAND_PRIVATE_KEY")
            .stdin(Stdio::null());
        if let Some(key) = key {
            cmd.env("STRAND_PRIVATE_KEY", key);
        }
        let out =
            cmd.output().wrap_err_with(|| format!("cannot run {}", self.setup.strand.display()))?;
        if !out.status.success() {
            bail!(
                "`strand {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        serde_json::from_slice(&out.stdout)
            .wrap_err_with(|| format!("`strand {}` printed no JSON", args.join(" ")))
    }
}

/// The indexer, started for the story and stopped when dropped.
struct Indexer {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Indexer {
    fn start(setup: &Setup) -> eyre::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = setup.work.join("indexer.log");
        let file = std::fs::File::create(&log)?;
        let child = Command::new(&setup.indexer)
            .args(["--manifest", path_str(&setup.manifest)?])
            .args(["--rpc-url", &setup.rpc_url, "--database-url", &setup.database_url])
            .args(["--listen", &format!("127.0.0.1:{port}"), "--poll-ms", "50"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", setup.indexer.display()))?;
        Ok(Self { child, url: format!("http://127.0.0.1:{port}"), log })
    }

    async fn get(&self, path: &str) -> eyre::Result<Value> {
        let url = format!("{}{path}", self.url);
        let response = reqwest::get(&url).await.wrap_err_with(|| format!("GET {url}"))?;
        let status = response.status();
        let text = response.text().await?;
        ensure!(status.is_success(), "GET {url}: {status}: {text}");
        serde_json::from_str(&text).wrap_err_with(|| format!("GET {url} returned no JSON"))
    }

    /// Waits until the index holds block `block`, or fails with the
    /// indexer's last words after `limit`.
    async fn reach(&mut self, block: u64, limit: Duration) -> eyre::Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the indexer exited ({status}); its log: {}", tail(&self.log));
            }
            if let Ok(s) = self.get("/status").await {
                if s["indexed"].as_u64().unwrap_or(0) >= block {
                    return Ok(());
                }
            }
            if start.elapsed() > limit {
                bail!(
                    "the indexer did not reach block {block} within {limit:?}: {}",
                    tail(&self.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

fn path_str(p: &Path) -> eyre::Result<&str> {
    p.to_str().ok_or_else(|| eyre!("{} is not valid UTF-8", p.display()))
}

fn amount(v: &Value) -> eyre::Result<U256> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| eyre!("expected a decimal amount, got {v}"))
}

/// The header and sample `n`'s column of the multi-sample file: one
/// owner's single-sample VCF; and the sample's ID.
pub fn sample_vcf(text: &str, n: usize) -> (String, String) {
    let mut out = String::with_capacity(text.len() / 100);
    let mut id = String::new();
    for line in text.lines() {
        if line.starts_with("##") {
            out += line;
        } else {
            let cols: Vec<&str> = line.split('\t').collect();
            if line.starts_with('#') {
                id = cols[9 + n].to_string();
            }
            out += &[&cols[..9], &cols[9 + n..10 + n]].concat().join("\t");
        }
        out.push('\n');
    }
    (out, id)
}

/// Carriers of the alternate allele at `pos` among samples `ns`, read from
/// the multi-sample file by a reader of its own (not the CLI's).
pub fn carriers_in_file(text: &str, pos: &str, ns: &[usize]) -> eyre::Result<u64> {
    let row: Vec<&str> = text
        .lines()
        .find(|l| !l.starts_with('#') && l.split('\t').nth(1) == Some(pos))
        .ok_or_else(|| eyre!("no site at position {pos}"))?
        .split('\t')
        .collect();
    ensure!(!row[4].contains(','), "site {pos} is not biallelic");
    Ok(ns
        .iter()
        .filter(|&&n| {
            row[9 + n].split(':').next().unwrap_or(".").split(['/', '|']).any(|a| a == "1")
        })
        .count() as u64)
}

/// The multi-sample VCF as text.
pub fn read_vcf(path: &Path) -> eyre::Result<String> {
    let file =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_string(&mut text)
        .wrap_err_with(|| format!("{} is not a gzip-compressed VCF", path.display()))?;
    Ok(text)
}

async fn travel_past(p: &DynProvider, deadline: u64) -> eyre::Result<()> {
    let now = p
        .get_block_by_number(Default::default())
        .await?
        .ok_or_else(|| eyre!("the node has no latest block"))?
        .header
        .timestamp;
    if now <= deadline {
        p.raw_request::<_, Value>("evm_increaseTime".into(), (deadline - now + 1,)).await?;
    }
    p.raw_request::<_, Value>("evm_mine".into(), ()).await?;
    Ok(())
}

/// Tells the story, saying each step through `say`, and returns what it
/// found. Fails at the first step that fails; cross-checks that disagree
/// are reported in [`Outcome::checks`] instead.
pub async fn run(setup: &Setup, mut say: impl FnMut(&str)) -> eyre::Result<Outcome> {
    std::fs::create_dir_all(&setup.work)?;
    let cli = Cli { setup, home: setup.work.join("home") };
    let admin_key = DEV_KEYS[0];
    let operator_key = DEV_KEYS[1];
    let researcher_key = DEV_KEYS[2];
    let admin = crate::connect(&setup.rpc_url, admin_key)?;
    let [deployer, operator, researcher] = [admin_key, operator_key, researcher_key]
        .map(|k| k.parse::<PrivateKeySigner>().expect("dev key").address());

    say("deploying GENE, staking, datasets and the ledger (reused when the chain has them)");
    let d = cli.run(Some(admin_key), &["deploy", "--artifacts", path_str(&setup.artifacts)?])?;
    let program = |name: &str| -> eyre::Result<Address> {
        d["deployment"]["programs"][name]["address"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| eyre!("the manifest names no {name} program"))
    };
    let (gene_addr, staking_addr, ledger_addr) =
        (program("gene")?, program("staking")?, program("ledger")?);
    say(if d["fresh"] == true { "  deployed" } else { "  reused the deployment on chain" });
    let token = IGene::new(gene_addr, &admin);

    say("starting the indexer");
    let mut indexer = Indexer::start(setup)?;

    let text = read_vcf(&setup.vcf)?;
    let owners: Vec<PrivateKeySigner> = (0..20).map(owner_key).collect();
    let mut watched: Vec<(String, Address)> = vec![
        ("deployer, treasury".into(), deployer),
        ("operator".into(), operator),
        ("researcher".into(), researcher),
        ("ledger program".into(), ledger_addr),
        ("staking program".into(), staking_addr),
    ];
    let mut samples = Vec::new();
    for (n, o) in owners.iter().enumerate() {
        let (vcf, id) = sample_vcf(&text, n);
        samples.push((vcf, id.clone()));
        watched.push((format!("owner {:02} ({id})", n + 1), o.address()));
    }
    let mut before = BTreeMap::new();
    for (_, a) in &watched {
        before.insert(*a, token.balanceOf(*a).call().await?);
    }

    say("funding: GENE for the operator and the researcher, gas for twenty owners");
    for (to, gene) in [(operator, "2000"), (researcher, "500")] {
        if token.balanceOf(to).call().await? < alloy::primitives::utils::parse_ether(gene)? {
            cli.run(Some(admin_key), &["token", "transfer", &to.to_string(), gene])?;
        }
    }
    for o in &owners {
        let floor = U256::from(10u64).pow(U256::from(16u64));
        if admin.get_balance(o.address()).await? < floor {
            let tx = TransactionRequest::default()
                .with_to(o.address())
                .with_value(floor * U256::from(10u64));
            let r = admin.send_transaction(tx).await?.get_receipt().await?;
            ensure!(r.status(), "funding {} failed", o.address());
        }
    }
    before.insert(operator, token.balanceOf(operator).call().await?);
    before.insert(researcher, token.balanceOf(researcher).call().await?);
    before.insert(deployer, token.balanceOf(deployer).call().await?);

    let em = cli.run(None, &["operator", "emissions", &operator.to_string()])?;
    if amount(&em["stake"])? < alloy::primitives::utils::parse_ether("1000")? {
        say("the operator stakes 1000 GENE");
        cli.run(Some(operator_key), &["operator", "stake", "1000"])?;
    } else {
        say("the operator's stake from an earlier run stands");
    }
    before.insert(operator, token.balanceOf(operator).call().await?);

    say("twenty owners register one 1000 Genomes sample each, by salted commitment");
    let owner_dir = setup.work.join("owners");
    let vault = setup.work.join("vault");
    std::fs::create_dir_all(&owner_dir)?;
    let mut datasets = Vec::new();
    for (n, (vcf, id)) in samples.iter().enumerate() {
        let path = owner_dir.join(format!("{id}.vcf.gz"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(vcf.as_bytes())?;
        std::fs::write(&path, gz.finish()?)?;
        let key = owners[n].to_bytes().to_string();
        let r = cli.run(
            Some(&key),
            &[
                "owner",
                "register",
                path_str(&path)?,
                "--operator",
                &operator.to_string(),
                "--vault",
                path_str(&vault)?,
            ],
        )?;
        datasets.push(r["id"].as_u64().ok_or_else(|| eyre!("register printed no id"))?);
    }
    say(&format!("  datasets {} to {}", datasets[0], datasets[datasets.len() - 1]));

    say("the researcher asks how many carry A at 2:23368 (purpose HMB, 10 GENE a consent, 5 to 20 consents)");
    let spec = setup.work.join("query.json");
    std::fs::write(&spec, SPEC)?;
    let q = cli.run(
        Some(researcher_key),
        &[
            "researcher",
            "submit",
            path_str(&spec)?,
            "--operator",
            &operator.to_string(),
            "--purpose",
            "HMB",
            "--reward",
            "10",
            "--max",
            "20",
            "--min",
            "5",
            "--consent-for",
            "1h",
            "--answer-within",
            "1d",
            "--yes",
        ],
    )?;
    let query = q["query"].as_u64().ok_or_else(|| eyre!("submit printed no query id"))?;
    let consent_deadline =
        q["consentDeadline"].as_u64().ok_or_else(|| eyre!("no consent deadline"))?;
    let escrow = amount(&q["escrow"])?;
    say(&format!("  query {query}, {} GENE in escrow", gene(escrow)));

    say("owners read their inboxes and decide");
    let (query_s, mut approved) = (query.to_string(), Vec::new());
    let mut inbox_agrees = false;
    for (n, o) in owners.iter().enumerate() {
        let key = o.to_bytes().to_string();
        let dataset = datasets[n].to_string();
        let choice = Choice::of(n);
        if n == 0 {
            // The first owner reads the inbox from the indexer, once it has
            // seen the query, and from chain logs: the two must agree.
            indexer.reach(admin.get_block_number().await?, Duration::from_secs(60)).await?;
            let from_indexer =
                cli.run(Some(&key), &["--indexer-url", &indexer.url, "owner", "inbox"])?;
            let from_chain = cli.run(Some(&key), &["owner", "inbox"])?;
            inbox_agrees = from_indexer == from_chain;
            let seen = from_indexer["inbox"].as_array().is_some_and(|rows| {
                rows.iter()
                    .any(|r| r["query"].as_u64() == Some(query) && r["decision"] == "undecided")
            });
            ensure!(seen, "owner 1's inbox does not show query {query} undecided: {from_indexer}");
        }
        match choice {
            Choice::Approve => {
                cli.run(Some(&key), &["owner", "approve", &query_s, &dataset])?;
                approved.push(n);
            }
            Choice::Deny => {
                cli.run(Some(&key), &["owner", "deny", &query_s, &dataset])?;
            }
            Choice::Revoke => {
                cli.run(Some(&key), &["owner", "approve", &query_s, &dataset])?;
                cli.run(Some(&key), &["owner", "revoke", &query_s, &dataset])?;
            }
            Choice::Ignore => {}
        }
        say(&format!("  owner {:02} {}", n + 1, choice.word()));
    }

    say("time passes the consent deadline; the operator checks each file against its commitment and answers");
    travel_past(&admin, consent_deadline).await?;
    let a = cli
        .run(Some(operator_key), &["operator", "answer", &query_s, "--vault", path_str(&vault)?])?;
    let consents_used =
        a["consentsUsed"].as_u64().ok_or_else(|| eyre!("answer printed no consentsUsed"))?;
    say(&format!("  answered over {consents_used} consents"));

    let status = cli.run(None, &["researcher", "status", &query_s])?;
    let challenge_deadline = status["result"]["challengeDeadline"]
        .as_u64()
        .ok_or_else(|| eyre!("status shows no challenge deadline: {status}"))?;
    say("time passes the challenge window unchallenged; the query is finalised");
    travel_past(&admin, challenge_deadline).await?;
    cli.run(Some(researcher_key), &["researcher", "finalize", &query_s])?;

    say("owners who approved claim their rewards");
    let mut claimed = U256::ZERO;
    for &n in &approved {
        let c = cli.run(Some(&owners[n].to_bytes().to_string()), &["owner", "claim"])?;
        claimed += amount(&c["claimed"])?;
    }
    let rewards = cli.run(Some(&owners[0].to_bytes().to_string()), &["owner", "rewards"])?;
    let answer = cli.run(Some(researcher_key), &["researcher", "result", &query_s])?;
    let carriers = answer["carriers"].as_u64().ok_or_else(|| eyre!("result printed no count"))?;
    say(&format!("the researcher decrypts the answer: {carriers} carriers"));

    say("waiting for the indexer to reach the head");
    let head = admin.get_block_number().await?;
    indexer.reach(head, Duration::from_secs(120)).await?;

    // What the chain says.
    let ledger = ILedger::new(ledger_addr, &admin);
    let logs = admin
        .get_logs(
            &Filter::new()
                .address(ledger_addr)
                .event_signature(strand_bindings::ledger::ConsentDecided::SIGNATURE_HASH)
                .topic1(U256::from(query))
                .from_block(0),
        )
        .await?;
    let mut chain_trail = Vec::new();
    for log in logs {
        let e = strand_bindings::ledger::ConsentDecided::decode_log(&log.inner)?;
        chain_trail.push(Decision {
            dataset: e.dataset,
            decision: e.decision,
            block: log.block_number.unwrap_or_default(),
        });
    }
    let indexed = indexer.get(&format!("/queries/{query}")).await?;
    let indexed_trail = indexed["trail"]
        .as_array()
        .ok_or_else(|| eyre!("the indexer's query has no trail: {indexed}"))?
        .iter()
        .map(|t| -> eyre::Result<Decision> {
            Ok(Decision {
                dataset: t["dataset"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| eyre!("bad trail"))?,
                decision: t["decision"].as_u64().ok_or_else(|| eyre!("bad trail"))? as u8,
                block: t["block"].as_u64().ok_or_else(|| eyre!("bad trail"))?,
            })
        })
        .collect::<eyre::Result<Vec<_>>>()?;
    let mut holdings = Vec::new();
    for (name, a) in &watched {
        let chain = token.balanceOf(*a).call().await?;
        let account = indexer.get(&format!("/accounts/{a}")).await?;
        let change = i128::try_from(chain).unwrap_or(i128::MAX)
            - i128::try_from(before[a]).unwrap_or(i128::MAX);
        holdings.push(Holding {
            name: name.clone(),
            address: *a,
            chain,
            indexed: amount(&account["balance"])?,
            change,
        });
    }

    let expected = carriers_in_file(&text, "23368", &approved)?;
    let reward = alloy::primitives::utils::parse_ether("10")?;
    let q_on_chain = ledger.query(query).call().await?;
    let change_of =
        |a: Address| holdings.iter().find(|h| h.address == a).map(|h| h.change).unwrap_or(0);
    let unused = U256::from(20 - approved.len() as u64) * reward;
    let researcher_cost = i128::try_from(escrow - unused)?;
    let mut checks = vec![
        (format!("the answer ({carriers}) equals the carriers counted in the VCF over the approved samples ({expected})"), carriers == expected && answer["verified"] == true),
        (format!("the result used exactly the {} approvals that stood", approved.len()), consents_used == approved.len() as u64),
        ("every balance agrees between the chain and PostgreSQL".into(), holdings.iter().all(|h| h.chain == h.indexed)),
        (format!("each approving owner was paid 10 GENE once, the others nothing ({} GENE claimed)", gene(claimed)),
            owners.iter().enumerate().all(|(n, o)| change_of(o.address()) == if approved.contains(&n) { reward.to::<i128>() } else { 0 })),
        (format!("the researcher paid {} GENE: rewards for the consents used plus fees; unused escrow came back", gene(escrow - unused)),
            change_of(researcher) == -researcher_cost),
        ("the ledger holds nothing for this query once it is finalised and claimed".into(),
            q_on_chain._2 == 4 && q_on_chain._7 == U256::ZERO && change_of(ledger_addr) == 0),
        (format!("the audit trail agrees between the chain and the indexer ({} decisions)", chain_trail.len()),
            chain_trail == indexed_trail && chain_trail.len() == approved.len() + 5),
        ("the indexer shows the query finalised with every reward paid".into(),
            indexed["state"] == "finalised" && indexed["ownersPaid"].as_str() == Some(&claimed.to_string())),
    ];
    let head = admin.get_block_number().await?;
    indexer.reach(head, Duration::from_secs(60)).await?;
    let rewards_indexed = cli.run(
        Some(&owners[0].to_bytes().to_string()),
        &["--indexer-url", &indexer.url, "owner", "rewards"],
    )?;
    checks.push((
        "the owner's inbox and rewards read the same from the indexer as from chain logs".into(),
        inbox_agrees && rewards == rewards_indexed,
    ));
    if claimed != reward * U256::from(approved.len()) {
        checks.push((format!("owners claimed {} GENE in all", gene(claimed)), false));
    }
    Ok(Outcome {
        query,
        datasets,
        answer: carriers,
        expected,
        consents_used,
        holdings,
        chain_trail,
        indexed_trail,
        indexed_state: indexed["state"].as_str().unwrap_or_default().to_string(),
        indexer_log: indexer.log.clone(),
        checks,
    })
}
