//! `strand arbiter`: disputes.

use serde_json::json;
use strand_bindings::ledger::{Challenged, ILedger};

use super::{events, owner::state_name};
use crate::{
    amount::format_gene,
    context::Global,
    errors,
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

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Disputes => {
            let view = g.view().await?;
            let ledger_addr = view.manifest.programs.ledger.address;
            let ledger = ILedger::new(ledger_addr, &view.provider);
            let challenged: Vec<(Challenged, _)> =
                events(&view.provider, &view.manifest, ledger_addr, [None, None, None]).await?;
            let mut rows = Vec::new();
            for (c, _) in challenged {
                let state = ledger.query(c.query).call().await.map_err(errors::contract)?._2;
                rows.push((c, state));
            }
            rows.sort_by_key(|(c, state)| (*state != 3, c.query));
            let mut text = String::new();
            for (c, state) in &rows {
                text += &format!(
                    "query {:<4} {:<10} challenger {} bond {} GENE, judge by {}\n",
                    c.query,
                    if *state == 3 { "open" } else { state_name(*state) },
                    c.challenger,
                    format_gene(c.bond),
                    c.arbitrationDeadline
                );
            }
            if rows.is_empty() {
                text = "no disputes".into();
            }
            let doc: Vec<_> = rows
                .iter()
                .map(|(c, state)| json!({
                    "query": c.query, "open": *state == 3, "state": state_name(*state), "challenger": c.challenger,
                    "bond": c.bond.to_string(), "arbitrationDeadline": c.arbitrationDeadline,
                }))
                .collect();
            out.emit(text, json!({ "disputes": doc }));
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
