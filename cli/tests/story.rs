//! The `strand` binary driven through every role on a Stylus devnet, with
//! `--json`, asserting what it returns and the chain state after it; and
//! each kind of bad input, asserting the exit code and the one-line
//! message. Skipped, with one line saying why, without a Stylus devnet.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    primitives::{utils::parse_ether, Address, U256},
    providers::{DynProvider, Provider},
};
use serde_json::Value;
use strand_bindings::{gene::IGene, ledger::ILedger};
use strand_e2e::{
    story::{carriers_in_file, read_vcf, sample_vcf},
    Devnet, DEV_KEYS,
};

/// Site 2:23368 C>A of the 1000 Genomes file: its first sample carries A.
const SPEC: &str = r#"{"kind":"carrier_count","chrom":"2","pos":23368,"ref":"C","alt":"A"}"#;

struct Strand {
    dir: tempfile::TempDir,
    rpc: String,
}

impl Strand {
    fn manifest(&self) -> PathBuf {
        self.dir.path().join("deployments.json")
    }

    fn command(&self, key: Option<usize>, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strand"));
        cmd.args(args)
            .env("STRAND_RPC_URL", &self.rpc)
            .env("STRAND_HOME", self.dir.path().join("home"))
            .env("STRAND_DEPLOYMENT", self.manifest())
            .env_remove("STRAND_ACCOUNT")
            .env_remove("STRAND_KEYSTORE")
            .env_remove("STRAND_PASSWORD")
            .env_remove("STRAND_PRIVATE_KEY")
            .env_remove("STRAND_INDEXER_URL");
        if let Some(k) = key {
            cmd.env("STRAND_PRIVATE_KEY", DEV_KEYS[k]);
        }
        cmd
    }

    fn output(&self, key: Option<usize>, args: &[&str]) -> Output {
        self.command(key, args).output().expect("strand runs")
    }

    /// Runs `strand --json ARGS` as dev account `key`, expects success and
    /// returns the document it printed.
    fn json(&self, key: Option<usize>, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.output(key, &all);
        assert!(
            out.status.success(),
            "strand {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "strand {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs `strand ARGS`, expects failure with exit code `code`, and
    /// returns its one line of stderr.
    fn fails(&self, key: Option<usize>, args: &[&str], code: i32) -> String {
        let out = self.output(key, args);
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(code), "strand {args:?}: {stderr}");
        assert!(!stderr.contains("stack backtrace") && !stderr.contains("Location:"), "{stderr}");
        stderr
    }
}

async fn travel(p: &DynProvider, seconds: u64) {
    p.raw_request::<_, U256>("evm_increaseTime".into(), (seconds,)).await.unwrap();
    p.raw_request::<_, String>("evm_mine".into(), ()).await.unwrap();
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/1kg.vcf.gz")
}

fn gene(v: &Value) -> U256 {
    v.as_str().expect("amounts are decimal strings").parse().expect("a number")
}

#[tokio::test]
async fn every_role_through_the_cli() {
    let Some(devnet) = Devnet::find("every_role_through_the_cli").unwrap() else {
        return;
    };
    let admin = devnet.provider(0).unwrap();
    let s = Strand { dir: tempfile::tempdir().unwrap(), rpc: devnet.url.clone() };
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/artifacts");
    let artifacts = artifacts.to_str().unwrap();
    let (op, researcher) = (devnet.address(1), devnet.address(2));
    let (op_s, researcher_s) = (op.to_string(), researcher.to_string());

    // Deploy, then deploy again: the second run reuses the first.
    let d = s.json(Some(0), &["deploy", "--artifacts", artifacts]);
    assert_eq!(d["fresh"], true);
    let ledger: Address =
        d["deployment"]["programs"]["ledger"]["address"].as_str().unwrap().parse().unwrap();
    let gene_addr: Address =
        d["deployment"]["programs"]["gene"]["address"].as_str().unwrap().parse().unwrap();
    assert_eq!(s.json(Some(0), &["deploy", "--artifacts", artifacts])["fresh"], false);
    let token = IGene::new(gene_addr, &admin);

    // Funds: the operator, the researcher and three owners.
    for to in [&op_s, &researcher_s] {
        s.json(Some(0), &["token", "transfer", to, "2000"]);
    }
    let bal = s.json(Some(1), &["token", "balance"]);
    assert_eq!(gene(&bal["balance"]), parse_ether("2000").unwrap());

    // The operator stakes and is eligible.
    let st = s.json(Some(1), &["operator", "stake", "1000"]);
    assert_eq!(st["eligible"], true);
    let em = s.json(None, &["operator", "emissions", &op_s]);
    assert_eq!(gene(&em["stake"]), parse_ether("1000").unwrap());

    // Three owners register one sample each, handing them to the vault.
    let text = read_vcf(&testdata()).unwrap();
    let vault = s.dir.path().join("vault");
    let vault_s = vault.to_str().unwrap();
    let mut ids = Vec::new();
    for (i, key) in [3, 4, 5].into_iter().enumerate() {
        let (vcf, _) = sample_vcf(&text, i);
        let path = s.dir.path().join(format!("sample{i}.vcf"));
        std::fs::write(&path, vcf).unwrap();
        let r = s.json(
            Some(key),
            &["owner", "register", path.to_str().unwrap(), "--operator", &op_s, "--vault", vault_s],
        );
        ids.push(r["id"].as_u64().unwrap());
    }
    assert_eq!(ids, [1, 2, 3]);
    let mine = s.json(Some(3), &["owner", "datasets"]);
    assert_eq!(mine["datasets"].as_array().unwrap().len(), 1);
    assert_eq!(mine["datasets"][0]["active"], true);

    // The researcher submits: 3 × 10 GENE + 5% + 1% escrowed.
    let spec = s.dir.path().join("query.json");
    std::fs::write(&spec, SPEC).unwrap();
    let spec_s = spec.to_str().unwrap();
    let submit = [
        "researcher",
        "submit",
        spec_s,
        "--operator",
        &op_s,
        "--purpose",
        "HMB",
        "--reward",
        "10",
        "--max",
        "3",
        "--min",
        "2",
        "--consent-for",
        "10m",
        "--answer-within",
        "1d",
    ];
    let err = s.fails(Some(2), &submit, 1);
    assert!(err.contains("escrow 31.8 GENE") && err.contains("--yes"), "{err}");
    // Terms the ledger would refuse fail before anything is sent, the
    // GENE approval included.
    let before = admin.get_block_number().await.unwrap();
    let mut bad = submit.to_vec();
    bad[6] = "XYZ";
    bad.push("--yes");
    let err = s.fails(Some(2), &bad, 1);
    assert!(err.contains("purpose \"XYZ\" is not a GA4GH DUO code"), "{err}");
    let mut poor = submit.to_vec();
    poor[10] = "3000";
    poor.push("--yes");
    let err = s.fails(Some(2), &poor, 1);
    assert!(err.contains("not enough GENE"), "{err}");
    assert_eq!(admin.get_block_number().await.unwrap(), before, "a transaction was sent");
    let q = s.json(Some(2), &[&submit[..], &["--yes"]].concat());
    assert_eq!(q["query"], 1);
    assert_eq!(gene(&q["escrow"]), parse_ether("31.8").unwrap());
    assert_eq!(token.balanceOf(ledger).call().await.unwrap(), parse_ether("31.8").unwrap());

    // Owners see it undecided, two approve, one denies then cannot revoke.
    let inbox = s.json(Some(3), &["owner", "inbox"]);
    assert_eq!(inbox["inbox"][0]["query"], 1);
    assert_eq!(inbox["inbox"][0]["decision"], "undecided");
    assert_eq!(inbox["inbox"][0]["purpose"], "HMB");
    assert_eq!(s.json(Some(3), &["owner", "approve", "1", "1"])["approvals"], 1);
    assert_eq!(s.json(Some(4), &["owner", "approve", "1", "2"])["approvals"], 2);
    s.json(Some(5), &["owner", "deny", "1", "3"]);
    let err = s.fails(Some(5), &["owner", "revoke", "1", "3"], 1);
    assert_eq!(err, "error: dataset 3 has no approval on query 1 that counts");
    let err = s.fails(Some(5), &["owner", "approve", "1", "1"], 1);
    assert!(err.contains("dataset 1 does not belong to"), "{err}");

    // Too early to answer; after the consent deadline the operator answers.
    let err = s.fails(Some(1), &["operator", "answer", "1", "--vault", vault_s], 1);
    assert!(err.contains("query 1: this is allowed from"), "{err}");
    travel(&admin, 601).await;
    let a = s.json(Some(1), &["operator", "answer", "1", "--vault", vault_s]);
    assert_eq!(a["consentsUsed"], 2);
    let status = s.json(None, &["researcher", "status", "1"]);
    assert_eq!(status["state"], "answered");
    assert_eq!(status["result"]["consentsUsed"], 2);
    let err = s.fails(Some(3), &["owner", "revoke", "1", "1"], 1);
    assert!(err.contains("query 1 is answered"), "{err}");

    // The researcher reads the answer: the count over the approved samples.
    let answer = s.json(Some(2), &["researcher", "result", "1"]);
    assert_eq!(
        answer["carriers"].as_u64().unwrap(),
        carriers_in_file(&text, "23368", &[0, 1]).unwrap()
    );
    assert_eq!(answer["verified"], true);

    // After the challenge window: finalise, owners claim once.
    travel(&admin, 24 * 3600 + 1).await;
    s.json(Some(2), &["researcher", "finalize", "1"]);
    let rewards = s.json(Some(3), &["owner", "rewards"]);
    assert_eq!(rewards["rewards"][0]["status"], "claimable");
    let claim = s.json(Some(3), &["owner", "claim"]);
    assert_eq!(gene(&claim["claimed"]), parse_ether("10").unwrap());
    assert_eq!(
        token.balanceOf(devnet.address(3)).call().await.unwrap(),
        parse_ether("10").unwrap()
    );
    assert_eq!(
        s.fails(Some(3), &["owner", "claim"], 1),
        "error: nothing to claim: see `strand owner rewards`"
    );
    let q1 = ILedger::new(ledger, &admin).query(1).call().await.unwrap();
    assert_eq!(
        (q1._2, q1._7),
        (4, parse_ether("10").unwrap()),
        "finalised, one reward left to claim"
    );

    // A second query is challenged and the arbiter rejects the challenge.
    let q = s.json(Some(2), &[&submit[..], &["--yes"]].concat());
    assert_eq!(q["query"], 2);
    s.json(Some(3), &["owner", "approve", "2", "1"]);
    s.json(Some(4), &["owner", "approve", "2", "2"]);
    travel(&admin, 601).await;
    s.json(Some(1), &["operator", "answer", "2", "--vault", vault_s]);
    s.json(Some(0), &["token", "transfer", &devnet.address(6).to_string(), "100"]);
    let c = s.json(Some(6), &["researcher", "challenge", "2"]);
    assert_eq!(gene(&c["bond"]), parse_ether("10").unwrap());
    let disputes = s.json(None, &["arbiter", "disputes"]);
    assert_eq!(
        (disputes["disputes"][0]["query"].as_u64(), &disputes["disputes"][0]["open"]),
        (Some(2), &Value::Bool(true))
    );
    let err = s.fails(Some(1), &["arbiter", "resolve", "2", "--reject"], 1);
    assert!(err.starts_with("error: only the arbiter may do this"), "{err}");
    let before = token.balanceOf(op).call().await.unwrap();
    s.json(Some(0), &["arbiter", "resolve", "2", "--reject"]);
    assert_eq!(token.balanceOf(op).call().await.unwrap() - before, parse_ether("10").unwrap());
    assert_eq!(s.json(None, &["arbiter", "disputes"])["disputes"][0]["open"], false);

    // Unbonding and emissions.
    let u = s.json(Some(1), &["operator", "unstake", "100"]);
    assert_eq!(gene(&u["unbonding"]), parse_ether("100").unwrap());
    let err = s.fails(Some(1), &["operator", "withdraw"], 1);
    assert!(err.contains("unbonds at"), "{err}");
    let e = s.json(Some(1), &["operator", "claim-emissions"]);
    assert!(gene(&e["claimed"]) > U256::ZERO);

    bad_input(&s, &op_s).await;
}

/// Each kind of bad input: one line, what to do, non-zero exit.
async fn bad_input(s: &Strand, op: &str) {
    // Argument errors are clap's: exit code 2.
    let err = s.fails(Some(0), &["token", "transfer", "0xnot-an-address", "1"], 2);
    assert!(err.contains("invalid value '0xnot-an-address'"), "{err}");
    let err = s.fails(Some(0), &["token", "transfer", op, "--", "-5"], 2);
    assert!(err.contains("bad amount \"-5\""), "{err}");
    let err = s.fails(Some(0), &["token", "transfer", op, "five"], 2);
    assert!(err.contains("bad amount \"five\""), "{err}");
    let err = s.fails(Some(0), &["token", "transfer", op, "1.0000000000000000001"], 2);
    assert!(err.contains("18 decimals"), "{err}");

    // Unknown query, not enough balance, no account.
    assert_eq!(s.fails(None, &["researcher", "status", "99"], 1), "error: there is no query 99");
    let err = s.fails(Some(7), &["token", "transfer", op, "5"], 1);
    assert!(
        err.starts_with("error: not enough GENE: 0x")
            && err.ends_with("holds 0 GENE and needs 5 GENE"),
        "{err}"
    );
    let err = s.fails(None, &["token", "transfer", op, "5"], 1);
    assert!(err.contains("pass --account NAME"), "{err}");

    // Keystores: made, listed, used; a wrong password is named as such.
    let mut cmd = s.command(None, &["--json", "wallet", "new", "alice"]);
    let made: Value =
        serde_json::from_slice(&cmd.env("STRAND_PASSWORD", "pw").output().unwrap().stdout).unwrap();
    let mut cmd = s.command(None, &["--account", "alice", "--json", "wallet", "address"]);
    let shown: Value =
        serde_json::from_slice(&cmd.env("STRAND_PASSWORD", "pw").output().unwrap().stdout).unwrap();
    assert_eq!(made["address"], shown["address"]);
    let cast = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/cast");
    if cast.exists() {
        let keystore = made["keystore"].as_str().unwrap();
        let out = Command::new(cast)
            .args(["wallet", "address", "--keystore", keystore, "--password", "pw"])
            .output()
            .unwrap();
        let address = String::from_utf8_lossy(&out.stdout).trim().to_lowercase();
        assert_eq!(
            address,
            made["address"].as_str().unwrap().to_lowercase(),
            "cast reads the keystore"
        );
    }
    let out = s
        .command(None, &["--account", "alice", "wallet", "address"])
        .env("STRAND_PASSWORD", "nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: wrong password for keystore"));

    // An endpoint that does not answer, and a manifest of another chain.
    let err = s.fails(None, &["--rpc-url", "http://127.0.0.1:9", "researcher", "status", "1"], 1);
    assert!(err.contains("cannot reach the RPC endpoint http://127.0.0.1:9"), "{err}");
    let mut m: Value =
        serde_json::from_str(&std::fs::read_to_string(s.manifest()).unwrap()).unwrap();
    m["chainId"] = 1.into();
    let other = s.dir.path().join("other.json");
    std::fs::write(&other, m.to_string()).unwrap();
    let err =
        s.fails(None, &["--deployment", other.to_str().unwrap(), "researcher", "status", "1"], 1);
    assert!(err.contains("is for chain 1, but the RPC endpoint serves chain 31337"), "{err}");
    let err = s.fails(None, &["--deployment", "/nonexistent.json", "researcher", "status", "1"], 1);
    assert!(
        err.contains(
            "cannot read deployment manifest /nonexistent.json: run `strand deploy` first"
        ),
        "{err}"
    );

    // With --json a failure is also a JSON document.
    let out = s.output(None, &["--json", "researcher", "status", "99"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"], "there is no query 99");
    assert_eq!(doc["code"], "UnknownQuery");
    assert_eq!(out.status.code(), Some(1));
}
