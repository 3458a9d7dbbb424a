//! `strand arbiter`: disputes.

use alloy::primitives::{Address, U256};
use serde::{Deserialize, Serialize};
use serde_json::json;
use strand_bindings::ledger::{Challenged, ILedger};

use super::{events, owner::state_name};
use crate::{
    amount::format_gene,
    context::{Global, View},
    errors,
    indexer::Indexer,
    output::{receipt_json, Out},
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List disputes, open ones first.
    ///
    /// Example:
    ///   strand arbiter disputes
    #[command(verbatim_doc_comment)]
    Disputes,
    /// Judge a dispute: --uphold slashes the operator and refunds the researcher;
    /// --reject pays the bond to the operator.
    ///
    /// Example:
    ///   strand --account arbiter arbiter resolve 1 --uphold
    #[command(verbatim_doc_comment)]
    Resolve {
        /// Query id
        query: u64,
        /// The challenge is right
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        uphold: bool,
        /// The challenge is wrong
        #[arg(long)]
        reject: bool,
    },
}

/// A dispute, as `arbiter disputes --json` prints it and the indexer
/// serves it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dispute {
    query: u64,
    open: bool,
    state: String,
    challenger: Address,
    #[serde(with = "crate::amount::decimal")]
    bond: U256,
    arbitration_deadline: u64,
}

/// Every challenge, open disputes first, from the ledger's events.
async fn disputes_from_chain(view: &View) -> eyre::Result<Vec<Dispute>> {
    let ledger_addr = view.manifest.programs.ledger.address;
    let ledger = ILedger::new(ledger_addr, &view.provider);
    let challenged: Vec<(Challenged, _)> =
        events(&view.provider, &view.manifest, ledger_addr, [None, None, None]).await?;
    let mut rows = Vec::new();
    for (c, _) in challenged {
        let state = ledger.query(c.query).call().await.map_err(errors::contract)?._2;
        rows.push(Dispute {
            query: c.query,
            open: state == 3,
            state: state_name(state).into(),
            challenger: c.challenger,
            bond: c.bond,
            arbitration_deadline: c.arbitrationDeadline,
        });
    }
    rows.sort_by_key(|d| (!d.open, d.query));
    Ok(rows)
}

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Disputes => {
            let view = g.view().await?;
            let rows: Vec<Dispute> = match Indexer::find(g, out, &view.provider).await {
                Some(ix) => ix.get("/disputes").await?,
                None => disputes_from_chain(&view).await?,
            };
            let mut text = String::new();
            for d in &rows {
                text += &format!(
                    "query {:<4} {:<10} challenger {} bond {} GENE, judge by {}\n",
                    d.query,
                    if d.open { "open" } else { &d.state },
                    d.challenger,
                    format_gene(d.bond),
                    d.arbitration_deadline
                );
            }
            if rows.is_empty() {
                text = "no disputes".into();
            }
            out.emit(text, json!({ "disputes": rows }));
        }
        Command::Resolve { query, uphold, .. } => {
            let s = g.session().await?;
            let ledger = ILedger::new(s.manifest.programs.ledger.address, &s.provider);
            let r = out.send("resolve", ledger.resolve(query, uphold)).await?;
            out.emit(
                format!(
                    "dispute on query {query} {}",
                    if uphold {
                        "upheld: operator slashed, researcher refunded"
                    } else {
                        "rejected: bond paid to the operator"
                    }
                ),
                json!({ "query": query, "upheld": uphold, "tx": receipt_json(&r) }),
            );
        }
    }
    Ok(())
}
