//! `strand operator`: stake, answer, emissions.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use crypto_box::{aead::OsRng, PublicKey};
use eyre::{bail, eyre, WrapErr};
use serde_json::json;
use strand_bindings::{
    datasets::IDatasets,
    gene::IGene,
    ledger::{ConsentDecided, ILedger},
    staking::IStaking,
};

use super::{events, researcher::submitted, topic_u64};
use crate::{
    amount::{format_gene, parse_gene},
    context::{Global, View},
    errors,
    output::{receipt_json, Out},
    vcf::{self, Answer, Spec},
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Stake GENE to take queries (approves staking for the amount first if needed).
    ///
    /// Example:
    ///   strand --account operator operator stake 1000
    #[command(verbatim_doc_comment)]
    Stake {
        /// Amount in GENE
        #[arg(value_parser = parse_gene)]
        amount: U256,
    },
    /// Start unbonding stake; it can be withdrawn after the unbonding period.
    ///
    /// Example:
    ///   strand --account operator operator unstake 500
    #[command(verbatim_doc_comment)]
    Unstake {
        /// Amount in GENE
        #[arg(value_parser = parse_gene)]
        amount: U256,
    },
    /// Withdraw stake whose unbonding period has passed.
    ///
    /// Example:
    ///   strand --account operator operator withdraw
    #[command(verbatim_doc_comment)]
    Withdraw,
    /// Show stake, unbonding, jail and emissions earned.
    ///
    /// Example:
    ///   strand operator emissions 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
    #[command(verbatim_doc_comment)]
    Emissions {
        /// Operator [default: the signing account]
        #[arg(value_parser = crate::cmd::parse_address)]
        operator: Option<Address>,
    },
    /// Collect the emissions earned.
    ///
    /// Example:
    ///   strand --account operator operator claim-emissions
    #[command(verbatim_doc_comment)]
    ClaimEmissions,
    /// Answer a query over the approved datasets in the vault, and post the result.
    ///
    /// Each approved dataset's file (<vault>/<id>.vcf.gz or .vcf) is checked
    /// against its on-chain commitment with its salt (<vault>/<id>.salt); the
    /// carrier count is sealed to the researcher's key. Refuses below the
    /// query's minimum of consents.
    ///
    /// Example:
    ///   strand --account operator operator answer 1 --vault vault/
    #[command(verbatim_doc_comment)]
    Answer {
        /// Query id
        query: u64,
        /// The vault folder
        #[arg(long, value_name = "DIR")]
        vault: PathBuf,
    },
}

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Stake { amount } => {
            let s = g.session().await?;
            let staking_addr = s.manifest.programs.staking.address;
            let gene = IGene::new(s.manifest.programs.gene.address, &s.provider);
            super::enough_gene(&s, amount).await?;
            let allowance =
                gene.allowance(s.address, staking_addr).call().await.map_err(errors::contract)?;
            if allowance < amount {
                out.send("approve staking", gene.approve(staking_addr, amount)).await?;
            }
            let staking = IStaking::new(staking_addr, &s.provider);
            let r = out.send("stake", staking.stake(amount)).await?;
            let info = staking.operatorInfo(s.address).call().await.map_err(errors::contract)?;
            let eligible = staking.isEligible(s.address).call().await.map_err(errors::contract)?;
            out.emit(
                format!(
                    "staked {} GENE; {} GENE staked in all; {}",
                    format_gene(amount),
                    format_gene(info._0),
                    if eligible { "eligible for queries" } else { "below the minimum, not yet eligible" }
                ),
                json!({ "staked": amount.to_string(), "stake": info._0.to_string(), "eligible": eligible, "tx": receipt_json(&r) }),
            );
        }
        Command::Unstake { amount } => {
            let s = g.session().await?;
            let staking = IStaking::new(s.manifest.programs.staking.address, &s.provider);
            let r = out.send("unstake", staking.requestUnstake(amount)).await?;
            let info = staking.operatorInfo(s.address).call().await.map_err(errors::contract)?;
            out.emit(
                format!("{} GENE unbonding, withdrawable from {}", format_gene(info._1), crate::output::when(info._2)),
                json!({ "unbonding": info._1.to_string(), "releaseAt": info._2, "tx": receipt_json(&r) }),
            );
        }
        Command::Withdraw => {
            let s = g.session().await?;
            let staking = IStaking::new(s.manifest.programs.staking.address, &s.provider);
            let amount = staking.withdraw().call().await.map_err(errors::contract)?;
            let r = out.send("withdraw", staking.withdraw()).await?;
            out.emit(
                format!("withdrew {} GENE", format_gene(amount)),
                json!({ "withdrawn": amount.to_string(), "tx": receipt_json(&r) }),
            );
        }
        Command::Emissions { operator } => {
            let view = g.view().await?;
            let who = match operator {
                Some(a) => a,
                None => g.address()?,
            };
            let staking = IStaking::new(view.manifest.programs.staking.address, &view.provider);
            let info = staking.operatorInfo(who).call().await.map_err(errors::contract)?;
            let pending = staking.pendingEmissions(who).call().await.map_err(errors::contract)?;
            let eligible = staking.isEligible(who).call().await.map_err(errors::contract)?;
            out.emit(
                format!(
                    "{who}: {} GENE staked, {} GENE unbonding{}, {}{}; {} GENE of emissions to claim",
                    format_gene(info._0),
                    format_gene(info._1),
                    if info._1.is_zero() { String::new() } else { format!(" (from {})", info._2) },
                    if info._3 { "jailed" } else { "not jailed" },
                    if eligible { ", eligible" } else { ", not eligible" },
                    format_gene(pending)
                ),
                json!({
                    "operator": who, "stake": info._0.to_string(), "unbonding": info._1.to_string(),
                    "releaseAt": info._2, "jailed": info._3, "eligible": eligible, "emissions": pending.to_string(),
                }),
            );
        }
        Command::ClaimEmissions => {
            let s = g.session().await?;
            let staking = IStaking::new(s.manifest.programs.staking.address, &s.provider);
            let amount = staking.claimEmissions().call().await.map_err(errors::contract)?;
            let r = out.send("claim emissions", staking.claimEmissions()).await?;
            out.emit(
                format!("claimed about {} GENE of emissions", format_gene(amount)),
                json!({ "claimed": amount.to_string(), "tx": receipt_json(&r) }),
            );
        }
        Command::Answer { query, vault } => answer(g, out, query, &vault).await?,
    }
    Ok(())
}

/// The datasets whose last decision on `query` is an approval.
pub(crate) async fn approved(view: &View, query: u64) -> eyre::Result<Vec<u64>> {
    let ledger = view.manifest.programs.ledger.address;
    let decided: Vec<(ConsentDecided, _)> =
        events(&view.provider, &view.manifest, ledger, [Some(topic_u64(query)), None, None])
            .await?;
    let mut last = BTreeMap::new();
    for (e, _) in decided {
        last.insert(e.dataset, e.decision);
    }
    Ok(last.into_iter().filter(|&(_, d)| d == 1).map(|(id, _)| id).collect())
}

async fn answer(g: &Global, out: &Out, query: u64, vault: &Path) -> eyre::Result<()> {
    if !vault.is_dir() {
        bail!("no vault folder at {}", vault.display());
    }
    let s = g.session().await?;
    let view = View { provider: s.reader.clone(), manifest: s.manifest.clone() };
    let sub = submitted(&view, query).await?;
    if sub.operator != s.address {
        bail!("query {query} is answered by {}, not by {}", sub.operator, s.address);
    }
    let spec = Spec::parse(&sub.spec).wrap_err_with(|| format!("query {query}'s specification"))?;
    let registry = IDatasets::new(s.manifest.programs.datasets.address, &s.provider);
    let mut carriers = 0u32;
    let mut used = 0u32;
    for id in approved(&view, query).await? {
        let d = registry.dataset(id).call().await.map_err(errors::contract)?;
        if !d._3 || d._1 != s.address {
            out.note(format!(
                "  dataset {id}: left out (deactivated or moved to another operator)"
            ));
            continue;
        }
        let (bytes, salt) = vault_files(vault, id)?;
        if vcf::commitment(salt, &bytes) != d._2 {
            bail!("dataset {id}: the file in the vault does not match its on-chain commitment; refusing to answer");
        }
        if vcf::carries(&bytes, &spec).wrap_err_with(|| format!("dataset {id}"))? {
            carriers += 1;
        }
        used += 1;
    }
    if used < sub.minConsents {
        bail!(
            "query {query} has {used} usable approvals, below its minimum of {}: no answer may be given",
            sub.minConsents
        );
    }
    let answer = serde_json::to_vec(&Answer { query, carriers, consents: used })?;
    let key: [u8; 32] = sub
        .researcherKey
        .as_ref()
        .try_into()
        .map_err(|_| eyre!("query {query}'s researcher key is not a 32-byte X25519 key"))?;
    let sealed = PublicKey::from(key)
        .seal(&mut OsRng, &answer)
        .map_err(|_| eyre!("cannot seal the answer"))?;
    let commitment: B256 = keccak256(&answer);
    let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
    let r = out
        .send("post result", ledger.postResult(query, commitment, used, Bytes::from(sealed)))
        .await?;
    out.emit(
        format!("answered query {query} over {used} consenting datasets (sealed to the researcher); commitment {commitment}"),
        json!({ "query": query, "consentsUsed": used, "commitment": commitment, "tx": receipt_json(&r) }),
    );
    Ok(())
}

fn vault_files(vault: &Path, id: u64) -> eyre::Result<(Vec<u8>, B256)> {
    let salt_path = vault.join(format!("{id}.salt"));
    let salt = std::fs::read_to_string(&salt_path)
        .map_err(|_| eyre!("dataset {id}: no salt at {}", salt_path.display()))?
        .trim()
        .parse()
        .map_err(|_| eyre!("dataset {id}: {} is not a 32-byte hex salt", salt_path.display()))?;
    for ext in ["vcf.gz", "vcf"] {
        let path = vault.join(format!("{id}.{ext}"));
        if path.is_file() {
            return Ok((std::fs::read(&path)?, salt));
        }
    }
    bail!("dataset {id}: no {id}.vcf.gz or {id}.vcf in {}", vault.display())
}
