//! `strand owner`: datasets, consent, rewards.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256, U256};
use eyre::{bail, eyre, WrapErr};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use strand_bindings::{
    datasets::{DatasetRegistered, IDatasets},
    ledger::{ConsentDecided, ILedger, QuerySubmitted},
};

use super::{events, topic_address};
use crate::{
    amount::format_gene,
    context::{home, Global, View},
    errors,
    indexer::Indexer,
    output::{receipt_json, Out},
    vcf,
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Register a dataset from a VCF file: only a salted commitment goes on chain.
    ///
    /// The salt is kept in ~/.strand/datasets; with --vault the file and its salt
    /// are also copied into the operator's vault folder, where the operator
    /// checks them against the commitment before using them.
    ///
    /// Example:
    ///   strand --account alice owner register HG00098.vcf.gz \
    ///     --operator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --vault vault/
    #[command(verbatim_doc_comment)]
    Register {
        /// The dataset: a single-sample VCF, plain or gzip-compressed
        file: PathBuf,
        /// The vault operator that holds the data
        #[arg(long, value_name = "ADDRESS", value_parser = crate::cmd::parse_address)]
        operator: Address,
        /// The operator's vault folder, to hand the file and salt over
        #[arg(long, value_name = "DIR")]
        vault: Option<PathBuf>,
    },
    /// List your datasets.
    ///
    /// Example:
    ///   strand --account alice owner datasets
    #[command(verbatim_doc_comment)]
    Datasets,
    /// Queries your datasets may take part in, undecided first.
    ///
    /// Example:
    ///   strand --account alice owner inbox
    #[command(verbatim_doc_comment)]
    Inbox,
    /// Approve a query for one of your datasets.
    ///
    /// Example:
    ///   strand --account alice owner approve 1 3
    #[command(verbatim_doc_comment)]
    Approve(Decision),
    /// Deny a query for one of your datasets (withdrawing an approval).
    ///
    /// Example:
    ///   strand --account alice owner deny 1 3
    #[command(verbatim_doc_comment)]
    Deny(Decision),
    /// Revoke your approval of a query, until its result is posted.
    ///
    /// Example:
    ///   strand --account alice owner revoke 1 3
    #[command(verbatim_doc_comment)]
    Revoke(Decision),
    /// Rewards you can claim, and those claimed.
    ///
    /// Example:
    ///   strand --account alice owner rewards
    #[command(verbatim_doc_comment)]
    Rewards,
    /// Claim every claimable reward in one transaction.
    ///
    /// Example:
    ///   strand --account alice owner claim
    #[command(verbatim_doc_comment)]
    Claim,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Decision {
    /// Query id
    query: u64,
    /// Your dataset's id
    dataset: u64,
}

/// What the owner's machine keeps about a registered dataset.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    id: Option<u64>,
    file: PathBuf,
    salt: B256,
    commitment: B256,
}

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Register { file, operator, vault } => {
            register(g, out, &file, operator, vault.as_deref()).await
        }
        Command::Datasets => {
            let view = g.view().await?;
            let owner = g.address()?;
            let list = datasets(&view, owner).await?;
            let mut text = String::new();
            for d in &list {
                text += &format!(
                    "dataset {:<4} operator {}  {}  commitment {}\n",
                    d.id,
                    d.operator,
                    if d.active { "active" } else { "deactivated" },
                    d.commitment
                );
            }
            if list.is_empty() {
                text = "no datasets: register one with `strand owner register FILE --operator ADDRESS`".into();
            }
            let doc: Vec<_> = list
                .iter()
                .map(|d| json!({ "id": d.id, "operator": d.operator, "active": d.active, "commitment": d.commitment }))
                .collect();
            out.emit(text, json!({ "owner": owner, "datasets": doc }));
            Ok(())
        }
        Command::Inbox => inbox(g, out).await,
        Command::Approve(d) => decide(g, out, d, 1).await,
        Command::Deny(d) => decide(g, out, d, 2).await,
        Command::Revoke(d) => decide(g, out, d, 3).await,
        Command::Rewards => {
            let view = g.view().await?;
            let owner = g.address()?;
            let rewards: Vec<Reward> = match Indexer::find(g, out, &view.provider).await {
                Some(ix) => ix.get(&format!("/owners/{owner}/rewards")).await?,
                None => rewards(&view, owner).await?,
            };
            let mut text = String::new();
            let mut total = U256::ZERO;
            for r in &rewards {
                text += &format!(
                    "query {:<4} dataset {:<4} {:>12} GENE  {}\n",
                    r.query,
                    r.dataset,
                    format_gene(r.amount),
                    r.status
                );
                if r.status == "claimable" {
                    total += r.amount;
                }
            }
            text += &format!("claimable: {} GENE", format_gene(total));
            out.emit(
                text,
                json!({ "owner": owner, "rewards": rewards, "claimable": total.to_string() }),
            );
            Ok(())
        }
        Command::Claim => {
            let s = g.session().await?;
            let view = View { provider: s.reader.clone(), manifest: s.manifest.clone() };
            let claimable: Vec<Reward> = rewards(&view, s.address)
                .await?
                .into_iter()
                .filter(|r| r.status == "claimable")
                .collect();
            if claimable.is_empty() {
                bail!("nothing to claim: see `strand owner rewards`");
            }
            let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
            let queries: Vec<u64> = claimable.iter().map(|r| r.query).collect();
            let sets: Vec<u64> = claimable.iter().map(|r| r.dataset).collect();
            let total: U256 = claimable.iter().map(|r| r.amount).sum();
            let r = out.send("claim", ledger.claim(queries.clone(), sets.clone())).await?;
            out.emit(
                format!("claimed {} GENE for {} consents", format_gene(total), claimable.len()),
                json!({ "claimed": total.to_string(), "queries": queries, "datasets": sets, "tx": receipt_json(&r) }),
            );
            Ok(())
        }
    }
}

async fn register(
    g: &Global,
    out: &Out,
    file: &Path,
    operator: Address,
    vault: Option<&Path>,
) -> eyre::Result<()> {
    let bytes = std::fs::read(file).wrap_err_with(|| format!("cannot read {}", file.display()))?;
    let text = vcf::read_text(&bytes)
        .wrap_err_with(|| format!("{} cannot be registered", file.display()))?;
    vcf::one_sample(&text).wrap_err_with(|| format!("{} cannot be registered", file.display()))?;
    // The vault must take the file before the chain hears of the dataset.
    if let Some(vault) = vault {
        crate::context::private_dir(vault)?;
    }
    let s = g.session().await?;
    let mut salt = B256::ZERO;
    rand::thread_rng().fill_bytes(salt.as_mut_slice());
    let commitment = vcf::commitment(salt, &bytes);
    // The salt is written before the transaction is sent: a crash after
    // sending must not lose what proves the commitment.
    let dir = home()
        .join("datasets")
        .join(format!("{}-{}", s.chain_id, s.manifest.programs.datasets.address));
    crate::context::private_dir(&dir)?;
    let mut record = Record { id: None, file: file.canonicalize()?, salt, commitment };
    let pending = dir.join(format!("{commitment}.json"));
    crate::context::write_private(&pending, serde_json::to_string_pretty(&record)?)?;

    let registry = IDatasets::new(s.manifest.programs.datasets.address, &s.provider);
    let r = out.send("register", registry.register(commitment, operator)).await?;
    let id = r
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<DatasetRegistered>().ok())
        .map(|l| l.inner.data.id)
        .ok_or_else(|| eyre!("the registration's receipt has no DatasetRegistered event"))?;
    record.id = Some(id);
    let path = dir.join(format!("{id}.json"));
    crate::context::write_private(&path, serde_json::to_string_pretty(&record)?)?;
    std::fs::remove_file(&pending)?;
    if let Some(vault) = vault {
        hand_over(vault, id, &bytes, salt)?;
    }
    out.emit(
        format!("registered dataset {id} held by {operator}\ncommitment {commitment}\nsalt kept in {}", path.display()),
        json!({ "id": id, "operator": operator, "commitment": commitment, "record": path, "tx": receipt_json(&r) }),
    );
    Ok(())
}

/// Puts the dataset and its salt where the operator finds them:
/// `<vault>/<id>.vcf.gz` (or `.vcf`) and `<vault>/<id>.salt`.
fn hand_over(vault: &Path, id: u64, bytes: &[u8], salt: B256) -> eyre::Result<()> {
    crate::context::private_dir(vault)?;
    let ext = if bytes.starts_with(&[0x1f, 0x8b]) { "vcf.gz" } else { "vcf" };
    crate::context::write_private(&vault.join(format!("{id}.{ext}")), bytes)?;
    crate::context::write_private(&vault.join(format!("{id}.salt")), salt.to_string())?;
    Ok(())
}

pub(crate) struct Dataset {
    pub(crate) id: u64,
    pub(crate) operator: Address,
    pub(crate) active: bool,
    pub(crate) commitment: B256,
}

/// The owner's datasets, from the registry's events and current state.
pub(crate) async fn datasets(view: &View, owner: Address) -> eyre::Result<Vec<Dataset>> {
    let registry_addr = view.manifest.programs.datasets.address;
    let registered: Vec<(DatasetRegistered, _)> = events(
        &view.provider,
        &view.manifest,
        registry_addr,
        [None, Some(topic_address(owner)), None],
    )
    .await?;
    let registry = IDatasets::new(registry_addr, &view.provider);
    let mut list = Vec::new();
    for (e, _) in registered {
        let d = registry.dataset(e.id).call().await.map_err(errors::contract)?;
        if d._0 == owner {
            list.push(Dataset { id: e.id, operator: d._1, active: d._3, commitment: d._2 });
        }
    }
    Ok(list)
}

/// One query an owner's dataset can take part in, as `owner inbox --json`
/// prints it and the indexer serves it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboxRow {
    query: u64,
    dataset: u64,
    state: String,
    decision: String,
    purpose: String,
    spec: String,
    researcher: Address,
    operator: Address,
    #[serde(with = "crate::amount::decimal")]
    reward_per_consent: U256,
    consent_deadline: u64,
    result_deadline: u64,
}

async fn inbox(g: &Global, out: &Out) -> eyre::Result<()> {
    let view = g.view().await?;
    let owner = g.address()?;
    let rows = match Indexer::find(g, out, &view.provider).await {
        Some(ix) => ix.get(&format!("/owners/{owner}/inbox")).await?,
        None => inbox_from_chain(&view, owner).await?,
    };
    let mut text = String::new();
    for r in &rows {
        text += &format!(
            "query {:<4} dataset {:<4} {:<10} {:<9} purpose {:<8} {} GENE per consent, consent by {}\n    spec {}\n",
            r.query,
            r.dataset,
            r.state,
            r.decision,
            r.purpose,
            format_gene(r.reward_per_consent),
            crate::output::when(r.consent_deadline),
            r.spec
        );
    }
    if rows.is_empty() {
        text = "no queries for your datasets".into();
    }
    out.emit(text, json!({ "owner": owner, "inbox": rows }));
    Ok(())
}

async fn inbox_from_chain(view: &View, owner: Address) -> eyre::Result<Vec<InboxRow>> {
    let mine: Vec<Dataset> =
        datasets(view, owner).await?.into_iter().filter(|d| d.active).collect();
    let ledger_addr = view.manifest.programs.ledger.address;
    let ledger = ILedger::new(ledger_addr, &view.provider);
    let mut rows = Vec::new();
    let operators: BTreeMap<Address, Vec<u64>> = mine.iter().fold(BTreeMap::new(), |mut m, d| {
        m.entry(d.operator).or_default().push(d.id);
        m
    });
    for (operator, ids) in &operators {
        let queries: Vec<(QuerySubmitted, _)> = events(
            &view.provider,
            &view.manifest,
            ledger_addr,
            [None, None, Some(topic_address(*operator))],
        )
        .await?;
        for (q, _) in queries {
            let state = ledger.query(q.id).call().await.map_err(errors::contract)?._2;
            for &dataset in ids {
                let decision =
                    ledger.consent(q.id, dataset).call().await.map_err(errors::contract)?._0;
                rows.push(InboxRow {
                    query: q.id,
                    dataset,
                    state: state_name(state).into(),
                    decision: decision_name(decision).into(),
                    purpose: q.purpose.clone(),
                    spec: String::from_utf8_lossy(&q.spec).into_owned(),
                    researcher: q.researcher,
                    operator: q.operator,
                    reward_per_consent: q.rewardPerConsent,
                    consent_deadline: q.consentDeadline,
                    result_deadline: q.resultDeadline,
                });
            }
        }
    }
    // Undecided open queries first, then by query id.
    rows.sort_by_key(|r| (!(r.state == "open" && r.decision == "undecided"), r.query, r.dataset));
    Ok(rows)
}

async fn decide(g: &Global, out: &Out, d: Decision, choice: u8) -> eyre::Result<()> {
    let s = g.session().await?;
    let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
    let (verb, r) = match choice {
        1 => ("approved", out.send("approve", ledger.approve(d.query, d.dataset)).await?),
        2 => ("denied", out.send("deny", ledger.deny(d.query, d.dataset)).await?),
        _ => ("revoked", out.send("revoke", ledger.revoke(d.query, d.dataset)).await?),
    };
    let approvals = r
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<ConsentDecided>().ok())
        .map(|l| l.inner.data.approvals);
    out.emit(
        format!("{verb} query {} for dataset {} ({} approvals now)", d.query, d.dataset, approvals.unwrap_or_default()),
        json!({ "query": d.query, "dataset": d.dataset, "decision": decision_name(choice), "approvals": approvals, "tx": receipt_json(&r) }),
    );
    Ok(())
}

/// An approved consent's reward, as `owner rewards --json` prints it and
/// the indexer serves it.
#[derive(Debug, Serialize, Deserialize)]
struct Reward {
    query: u64,
    dataset: u64,
    #[serde(with = "crate::amount::decimal")]
    amount: U256,
    status: String,
}

/// Every consent the owner last left approved, with whether its reward
/// can be claimed now (checked by simulating the claim).
async fn rewards(view: &View, owner: Address) -> eyre::Result<Vec<Reward>> {
    let ledger_addr = view.manifest.programs.ledger.address;
    let decided: Vec<(ConsentDecided, _)> = events(
        &view.provider,
        &view.manifest,
        ledger_addr,
        [None, None, Some(topic_address(owner))],
    )
    .await?;
    let mut last: HashMap<(u64, u64), u8> = HashMap::new();
    for (e, _) in decided {
        last.insert((e.query, e.dataset), e.decision);
    }
    let mut approved: Vec<(u64, u64)> =
        last.into_iter().filter(|(_, d)| *d == 1).map(|(k, _)| k).collect();
    approved.sort();
    let ledger = ILedger::new(ledger_addr, &view.provider);
    let mut out = Vec::new();
    for (query, dataset) in approved {
        let q = ledger.query(query).call().await.map_err(errors::contract)?;
        let (_, claimed) = {
            let c = ledger.consent(query, dataset).call().await.map_err(errors::contract)?;
            (c._0, c._1)
        };
        let status = if claimed {
            "claimed"
        } else if q._2 != 4 {
            if q._2 >= 5 {
                "not paid (query refunded)"
            } else {
                "pending"
            }
        } else if ledger.claim(vec![query], vec![dataset]).from(owner).call().await.is_ok() {
            "claimable"
        } else {
            "not paid (consent not used)"
        };
        out.push(Reward { query, dataset, amount: q._3, status: status.into() });
    }
    Ok(out)
}

pub(crate) fn state_name(state: u8) -> &'static str {
    match state {
        1 => "open",
        2 => "answered",
        3 => "disputed",
        4 => "finalised",
        5 => "refunded",
        6 => "reclaimed",
        _ => "unknown",
    }
}

pub(crate) fn decision_name(decision: u8) -> &'static str {
    match decision {
        1 => "approved",
        2 => "denied",
        3 => "revoked",
        _ => "undecided",
    }
}
