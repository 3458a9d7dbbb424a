//! `strand researcher`: submit, follow, read, reclaim, challenge.

use std::{io::IsTerminal, path::PathBuf};

use alloy::sol_types::SolError;
use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::Provider,
};
use crypto_box::{aead::OsRng, SecretKey};
use eyre::{bail, eyre, WrapErr};
use serde_json::json;
use strand_bindings::{
    gene::IGene,
    ledger::{self, ILedger, QuerySubmitted, ResultPosted},
    staking::IStaking,
};

use super::{events, owner::state_name, topic_u64};
use crate::{
    amount::{format_gene, parse_gene},
    context::{home, Global, View},
    errors,
    output::{receipt_json, Out},
    vcf::{Answer, Spec},
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Submit a query and escrow what it may cost.
    ///
    /// The escrow is the reward for every consent it pays for plus the operator's
    /// and the protocol's fees; it is shown and confirmed before anything is
    /// spent (--yes skips the question). A key pair for the answer is made and
    /// its secret kept in ~/.strand/keys.
    ///
    /// Example:
    ///   strand --account bob researcher submit query.json \
    ///     --operator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --purpose HMB \
    ///     --reward 10 --max 20 --min 5 --consent-for 1h --answer-within 1d
    #[command(verbatim_doc_comment)]
    Submit(Submit),
    /// Show a query: terms, state, approvals, result.
    ///
    /// Example:
    ///   strand researcher status 1
    #[command(verbatim_doc_comment)]
    Status {
        /// Query id
        query: u64,
    },
    /// Decrypt a query's answer with the key made at submission.
    ///
    /// Example:
    ///   strand --account bob researcher result 1
    #[command(verbatim_doc_comment)]
    Result {
        /// Query id
        query: u64,
    },
    /// Take back the whole escrow of a query with no result by its deadline.
    ///
    /// Example:
    ///   strand --account bob researcher reclaim 1
    #[command(verbatim_doc_comment)]
    Reclaim {
        /// Query id
        query: u64,
    },
    /// Settle an answered query after its challenge window (anyone may).
    ///
    /// Example:
    ///   strand --account bob researcher finalize 1
    #[command(verbatim_doc_comment)]
    Finalize {
        /// Query id
        query: u64,
    },
    /// Dispute a query's result, posting the challenge bond.
    ///
    /// Example:
    ///   strand --account carol researcher challenge 1
    #[command(verbatim_doc_comment)]
    Challenge {
        /// Query id
        query: u64,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct Submit {
    /// File holding the query specification (JSON):
    /// {"kind":"carrier_count","chrom":..,"pos":..,"ref":..,"alt":..}
    #[arg(value_name = "SPEC_FILE")]
    spec: PathBuf,
    /// Operator that answers (must be staked)
    #[arg(long, value_name = "ADDRESS", value_parser = crate::cmd::parse_address)]
    operator: Address,
    /// GA4GH Data Use Ontology code: GRU, HMB, DS, POA, NRES, with modifiers (DS:MONDO:0005148)
    #[arg(long)]
    purpose: String,
    /// Reward per consent, in GENE
    #[arg(long, value_parser = parse_gene)]
    reward: U256,
    /// Most consents paid for
    #[arg(long)]
    max: u32,
    /// Fewest consents an answer may use
    #[arg(long)]
    min: u32,
    /// How long before the operator may answer: 90s, 30m, 2h, 1d (at most 366d); owners may
    /// still decide after it, until the answer is posted
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    consent_for: u64,
    /// How long after the consent deadline the operator has to answer
    #[arg(long, value_parser = parse_duration, default_value = "1d")]
    answer_within: u64,
    /// Do not ask before spending
    #[arg(long)]
    yes: bool,
}

/// `90`, `90s`, `30m`, `2h`, `1d` in seconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) =
        text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 =
        digits.parse().map_err(|_| format!("bad duration {text:?}: use 90s, 30m, 2h or 1d"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bad duration {text:?}: use 90s, 30m, 2h or 1d")),
    };
    let seconds = n
        .checked_mul(scale)
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("bad duration {text:?}: must be positive"))?;
    // Escrow stays locked for the whole of it: a slip of the keyboard
    // should not lock it for ages.
    if seconds > MAX_DURATION {
        return Err(format!("bad duration {text:?}: at most 366d"));
    }
    Ok(seconds)
}

/// Longest consent or answer window `submit` takes.
const MAX_DURATION: u64 = 366 * 86_400;

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Submit(args) => submit(g, out, args).await,
        Command::Status { query } => status(g, out, query).await,
        Command::Result { query } => result(g, out, query).await,
        Command::Reclaim { query } => {
            let s = g.session().await?;
            let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
            let r = out.send("reclaim", ledger.reclaim(query)).await?;
            out.emit(
                format!("query {query} reclaimed"),
                json!({ "query": query, "tx": receipt_json(&r) }),
            );
            Ok(())
        }
        Command::Finalize { query } => {
            let s = g.session().await?;
            let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
            let r = out.send("finalize", ledger.finalize(query)).await?;
            out.emit(
                format!("query {query} finalised"),
                json!({ "query": query, "tx": receipt_json(&r) }),
            );
            Ok(())
        }
        Command::Challenge { query } => {
            let s = g.session().await?;
            let ledger_addr = s.manifest.programs.ledger.address;
            let ledger = ILedger::new(ledger_addr, &s.provider);
            let bond = ledger.parameters().call().await.map_err(errors::contract)?._3;
            ensure_allowance(out, &s, bond).await?;
            let r = out.send("challenge", ledger.challenge(query)).await?;
            out.emit(
                format!("challenged query {query} with a bond of {} GENE", format_gene(bond)),
                json!({ "query": query, "bond": bond.to_string(), "tx": receipt_json(&r) }),
            );
            Ok(())
        }
    }
}

/// Approves the ledger for `amount` if its allowance is smaller.
/// The ledger's rule for purposes (`is_duo_code` in contracts/ledger),
/// repeated here so that a typo fails before the allowance is sent: the
/// two workspaces share ABI files, not code.
fn is_duo_code(purpose: &str) -> bool {
    const MAX_PURPOSE_LEN: usize = 64;
    purpose.len() <= MAX_PURPOSE_LEN
        && ["GRU", "HMB", "DS", "POA", "NRES"].iter().any(|code| {
            purpose.strip_prefix(code).is_some_and(|rest| {
                rest.is_empty()
                    || (rest.len() > 1 && (rest.starts_with(':') || rest.starts_with('-')))
            })
        })
}

async fn ensure_allowance(
    out: &Out,
    s: &crate::context::Session,
    amount: U256,
) -> eyre::Result<()> {
    let gene = IGene::new(s.manifest.programs.gene.address, &s.provider);
    let ledger = s.manifest.programs.ledger.address;
    super::enough_gene(s, amount).await?;
    let allowance = gene.allowance(s.address, ledger).call().await.map_err(errors::contract)?;
    if allowance < amount {
        out.send("approve the ledger", gene.approve(ledger, amount)).await?;
    }
    Ok(())
}

async fn submit(g: &Global, out: &Out, a: Submit) -> eyre::Result<()> {
    let spec_bytes =
        std::fs::read(&a.spec).wrap_err_with(|| format!("cannot read {}", a.spec.display()))?;
    Spec::parse(&spec_bytes).wrap_err_with(|| format!("{}", a.spec.display()))?;
    if a.min == 0 || a.min > a.max {
        bail!("--min must be at least 1 and at most --max ({})", a.max);
    }
    let s = g.session().await?;
    let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
    let params = ledger.parameters().call().await.map_err(errors::contract)?;
    let rewards = a
        .reward
        .checked_mul(U256::from(a.max))
        .ok_or_else(|| eyre!("--reward × --max is too large"))?;
    let bps = U256::from(10_000);
    let (op_fee, proto_fee) = (rewards * params._0 / bps, rewards * params._1 / bps);
    let escrow = rewards + op_fee + proto_fee;
    // The terms the programs would refuse, checked before anything is
    // asked or sent: otherwise the GENE approval would go through first
    // and the submission fail after it. The programs still decide.
    if !is_duo_code(&a.purpose) {
        let e = ledger::InvalidPurpose { purpose: a.purpose.clone() };
        return Err(errors::would_revert(&e.abi_encode()));
    }
    let staking = IStaking::new(s.manifest.programs.staking.address, &s.provider);
    if !staking.isEligible(a.operator).call().await.map_err(errors::contract)? {
        let e = ledger::OperatorNotEligible { operator: a.operator };
        return Err(errors::would_revert(&e.abi_encode()));
    }
    super::enough_gene(&s, escrow).await?;
    let summary = format!(
        "escrow {} GENE: {} × {} GENE rewards, operator fee {} GENE, protocol fee {} GENE (unused rewards come back)",
        format_gene(escrow),
        a.max,
        format_gene(a.reward),
        format_gene(op_fee),
        format_gene(proto_fee)
    );
    if !a.yes {
        if !std::io::stdin().is_terminal() || g.json {
            bail!("{summary}; pass --yes to submit without a terminal to confirm on");
        }
        eprint!("{summary}\nsubmit? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            bail!("not submitted");
        }
    } else {
        out.note(&summary);
    }
    // The answer's key pair; the secret is on disk before anything is sent.
    let secret = SecretKey::generate(&mut OsRng);
    let public = Bytes::copy_from_slice(secret.public_key().as_bytes());
    let keys = home().join("keys");
    crate::context::private_dir(&keys)?;
    let key_path = keys.join(format!("{public}.key"));
    crate::context::write_private(&key_path, B256::from_slice(&secret.to_bytes()).to_string())?;

    ensure_allowance(out, &s, escrow).await?;
    let now = s
        .reader
        .get_block_by_number(Default::default())
        .await?
        .map(|b| b.header.timestamp)
        .unwrap_or_default();
    let consent_deadline = now + a.consent_for;
    let call = ledger.submitQuery(
        keccak256(&spec_bytes),
        spec_bytes.clone().into(),
        a.purpose.clone(),
        a.operator,
        a.reward,
        a.max,
        a.min,
        consent_deadline,
        consent_deadline + a.answer_within,
        public.clone(),
        U256::ZERO,
        0,
        B256::ZERO,
        B256::ZERO,
    );
    let r = out.send("submit", call).await?;
    let event = r
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<QuerySubmitted>().ok())
        .ok_or_else(|| eyre!("the receipt has no QuerySubmitted event"))?
        .inner
        .data;
    out.emit(
        format!(
            "submitted query {} ({}); escrowed {} GENE; owners decide until {}, answer due by {}",
            event.id,
            a.purpose,
            format_gene(event.escrow),
            crate::output::when(event.consentDeadline),
            crate::output::when(event.resultDeadline)
        ),
        json!({
            "query": event.id, "escrow": event.escrow.to_string(), "consentDeadline": event.consentDeadline,
            "resultDeadline": event.resultDeadline, "researcherKey": public, "tx": receipt_json(&r),
        }),
    );
    Ok(())
}

/// The query's submission event.
pub(crate) async fn submitted(view: &View, query: u64) -> eyre::Result<QuerySubmitted> {
    let ledger = view.manifest.programs.ledger.address;
    let found: Vec<(QuerySubmitted, _)> =
        events(&view.provider, &view.manifest, ledger, [Some(topic_u64(query)), None, None])
            .await?;
    found.into_iter().next().map(|(e, _)| e).ok_or_else(|| {
        crate::errors::Reverted::like("UnknownQuery", format!("there is no query {query}")).into()
    })
}

async fn posted(view: &View, query: u64) -> eyre::Result<Option<ResultPosted>> {
    let ledger = view.manifest.programs.ledger.address;
    let found: Vec<(ResultPosted, _)> =
        events(&view.provider, &view.manifest, ledger, [Some(topic_u64(query)), None, None])
            .await?;
    Ok(found.into_iter().next().map(|(e, _)| e))
}

async fn status(g: &Global, out: &Out, query: u64) -> eyre::Result<()> {
    let view = g.view().await?;
    let sub = submitted(&view, query).await?;
    let q = ILedger::new(view.manifest.programs.ledger.address, &view.provider)
        .query(query)
        .call()
        .await
        .map_err(errors::contract)?;
    let result = posted(&view, query).await?;
    let mut text = format!(
        "query {query}: {}\n  researcher {}\n  operator   {}\n  purpose    {}\n  spec       {}\n  reward     {} GENE per consent, {}..{} consents\n  approvals  {}\n  deadlines  consent {}, result {}\n  escrow     {} GENE held, owners' pool {} GENE\n",
        state_name(q._2),
        sub.researcher,
        sub.operator,
        sub.purpose,
        String::from_utf8_lossy(&sub.spec),
        format_gene(sub.rewardPerConsent),
        sub.minConsents,
        sub.maxConsents,
        q._4,
        sub.consentDeadline,
        sub.resultDeadline,
        format_gene(q._6),
        format_gene(q._7),
    );
    if let Some(r) = &result {
        text += &format!(
            "  result     {} consents used, commitment {}, challenges until {}\n",
            r.consentsUsed, r.commitment, r.challengeDeadline
        );
    }
    out.emit(
        text,
        json!({
            "query": query, "state": state_name(q._2), "researcher": sub.researcher, "operator": sub.operator,
            "purpose": sub.purpose, "spec": String::from_utf8_lossy(&sub.spec), "specHash": sub.specHash,
            "rewardPerConsent": sub.rewardPerConsent.to_string(), "minConsents": sub.minConsents,
            "maxConsents": sub.maxConsents, "approvals": q._4, "consentsUsed": q._5,
            "consentDeadline": sub.consentDeadline, "resultDeadline": sub.resultDeadline,
            "escrowHeld": q._6.to_string(), "ownersPool": q._7.to_string(),
            "result": result.map(|r| json!({
                "commitment": r.commitment, "consentsUsed": r.consentsUsed, "challengeDeadline": r.challengeDeadline,
            })),
        }),
    );
    Ok(())
}

async fn result(g: &Global, out: &Out, query: u64) -> eyre::Result<()> {
    let view = g.view().await?;
    let sub = submitted(&view, query).await?;
    let posted =
        posted(&view, query).await?.ok_or_else(|| eyre!("query {query} has no result yet"))?;
    let key_path = home().join("keys").join(format!("{}.key", sub.researcherKey));
    let text = std::fs::read_to_string(&key_path).map_err(|_| {
        eyre!(
            "no key for query {query} in {}: only the machine that submitted it can decrypt",
            key_path.display()
        )
    })?;
    let secret: B256 =
        text.trim().parse().map_err(|_| eyre!("{} is damaged", key_path.display()))?;
    let secret = SecretKey::from(secret.0);
    let plain = secret
        .unseal(&posted.encryptedAnswer)
        .map_err(|_| eyre!("the answer does not decrypt with the key made at submission"))?;
    if keccak256(&plain) != posted.commitment {
        bail!("the decrypted answer does not match the commitment posted on chain: consider `strand researcher challenge {query}`");
    }
    let answer: Answer =
        serde_json::from_slice(&plain).wrap_err("the answer is not in the expected form")?;
    if answer.query != query || answer.consents != posted.consentsUsed {
        bail!("the answer is for another query or consent count than posted: consider a challenge");
    }
    let spec = Spec::parse(&sub.spec)?;
    out.emit(
        format!(
            "query {query}: {} of {} consenting samples carry {} at {}:{} (answer matches the on-chain commitment)",
            answer.carriers, answer.consents, spec.alt, spec.chrom, spec.pos
        ),
        json!({ "query": query, "carriers": answer.carriers, "consents": answer.consents, "spec": spec, "verified": true }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_the_ledgers_duo_codes() {
        for ok in ["GRU", "HMB", "DS:MONDO:0005148", "HMB-IRB", "NRES", "POA"] {
            assert!(is_duo_code(ok), "{ok}");
        }
        for bad in ["", "XYZ", "HMB:", "HMBX", "hmb", "DS-", &format!("DS:{}", "X".repeat(70))] {
            assert!(!is_duo_code(bad), "{bad}");
        }
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        assert_eq!(parse_duration("366d"), Ok(366 * 86_400));
        for bad in
            ["", "h", "1w", "-1h", "0", "1.5h", "367d", "1000000000d", "99999999999999999999d"]
        {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_answer_sealed_to_the_key_opens_with_its_secret_only() {
        let secret = SecretKey::generate(&mut OsRng);
        let answer = serde_json::to_vec(&Answer { query: 1, carriers: 3, consents: 9 }).unwrap();
        let sealed = secret.public_key().seal(&mut OsRng, &answer).unwrap();
        assert_eq!(secret.unseal(&sealed).unwrap(), answer);
        assert!(SecretKey::generate(&mut OsRng).unseal(&sealed).is_err());
    }
}
