//! `strand token`: GENE.

use alloy::primitives::Address;
use eyre::bail;
use serde_json::json;
use strand_bindings::gene::IGene;

use crate::{
    amount::{format_gene, parse_gene},
    context::Global,
    errors,
    output::{receipt_json, Out},
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Show GENE held by an account (yours by default).
    ///
    /// Example:
    ///   strand token balance 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
    #[command(verbatim_doc_comment)]
    Balance {
        /// Account [default: the signing account]
        #[arg(value_parser = crate::cmd::parse_address)]
        address: Option<Address>,
    },
    /// Send GENE.
    ///
    /// Example:
    ///   strand --account alice token transfer \
    ///     0x70997970C51812dc3A010C7d01b50e0d17dc79C8 12.5
    #[command(verbatim_doc_comment)]
    Transfer {
        /// Recipient
        #[arg(value_parser = crate::cmd::parse_address)]
        to: Address,
        /// Amount in GENE (decimals allowed)
        #[arg(value_parser = parse_gene)]
        amount: alloy::primitives::U256,
    },
    /// Let an account or program spend your GENE.
    ///
    /// SPENDER is an address, or `ledger` or `staking` for the deployment's programs.
    ///
    /// Example:
    ///   strand --account researcher token approve ledger 100
    #[command(verbatim_doc_comment)]
    Approve {
        /// Address, `ledger` or `staking`
        spender: String,
        /// Amount in GENE
        #[arg(value_parser = parse_gene)]
        amount: alloy::primitives::U256,
    },
}

pub(crate) async fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    match c {
        Command::Balance { address } => {
            let view = g.view().await?;
            let who = match address {
                Some(a) => a,
                None => g.address()?,
            };
            let gene = IGene::new(view.manifest.programs.gene.address, &view.provider);
            let balance = gene.balanceOf(who).call().await.map_err(errors::contract)?;
            out.emit(
                format!("{} GENE", format_gene(balance)),
                json!({ "address": who, "balance": balance.to_string(), "gene": format_gene(balance) }),
            );
        }
        Command::Transfer { to, amount } => {
            let s = g.session().await?;
            let gene = IGene::new(s.manifest.programs.gene.address, &s.provider);
            let r = out.send("transfer", gene.transfer(to, amount)).await?;
            out.emit(
                format!("sent {} GENE to {to}", format_gene(amount)),
                json!({ "to": to, "amount": amount.to_string(), "tx": receipt_json(&r) }),
            );
        }
        Command::Approve { spender, amount } => {
            let s = g.session().await?;
            let spender = match spender.as_str() {
                "ledger" => s.manifest.programs.ledger.address,
                "staking" => s.manifest.programs.staking.address,
                other => match other.parse::<Address>() {
                    Ok(a) => a,
                    Err(_) => {
                        bail!("bad spender {other:?}: give an address, `ledger` or `staking`")
                    }
                },
            };
            let gene = IGene::new(s.manifest.programs.gene.address, &s.provider);
            let r = out.send("approve", gene.approve(spender, amount)).await?;
            out.emit(
                format!("{spender} may spend {} GENE of yours", format_gene(amount)),
                json!({ "spender": spender, "amount": amount.to_string(), "tx": receipt_json(&r) }),
            );
        }
    }
    Ok(())
}
