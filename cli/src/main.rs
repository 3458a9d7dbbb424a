//! `strand`: consented, paid research on genomic data, from a terminal.
//!
//! Commands are grouped by role. Every command prints a readable summary,
//! or one JSON document with `--json`; every failure is one line on stderr
//! (and a JSON `error` object with `--json`) and a non-zero exit.

mod amount;
mod cmd;
mod context;
mod errors;
mod indexer;
mod output;
mod vcf;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{context::Global, output::Out};

/// Consented, paid research on genomic data.
///
/// Data owners register datasets (a salted commitment; the data stays
/// with the vault operator they choose) and approve or deny each query.
/// Researchers submit queries and pay for answers; operators stake GENE
/// and compute answers over approved datasets only; arbiters judge
/// disputes.
#[derive(Debug, Parser)]
#[command(
    name = "strand",
    version,
    after_help = "Examples:\n  strand deploy\n  strand wallet new alice\n  strand --account alice owner register sample.vcf.gz --operator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n  strand --account alice owner inbox\n  strand --json researcher status 1\n\nAccounts: --account NAME (a keystore in ~/.strand/keystores), --keystore FILE, or\nSTRAND_PRIVATE_KEY in the environment. Keystore passwords come from STRAND_PASSWORD or a prompt."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Deploy(cmd::deploy::Args),
    /// Encrypted keystores: create, import, list, show an address.
    #[command(subcommand)]
    Wallet(cmd::wallet::Command),
    /// GENE balances, transfers and allowances.
    #[command(subcommand)]
    Token(cmd::token::Command),
    /// Data owners: register datasets, decide on queries, claim rewards.
    #[command(subcommand)]
    Owner(cmd::owner::Command),
    /// Researchers: submit queries, follow them, read answers, reclaim escrow.
    #[command(subcommand)]
    Researcher(cmd::researcher::Command),
    /// Vault operators: stake, answer queries, collect emissions.
    #[command(subcommand)]
    Operator(cmd::operator::Command),
    /// Arbiters: list and judge disputes.
    #[command(subcommand)]
    Arbiter(cmd::arbiter::Command),
}

/// A command line clap refused (or `--help`, `--version`): clap's own text,
/// and with `--json` anywhere on the line also one JSON document on stdout
/// (`code` "usage"), as for every other failure.
fn usage(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args().skip(1).take_while(|a| a != "--").any(|a| a == "--json");
    let informational = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if json && !informational {
        let message = e.kind().as_str().map_or_else(|| e.to_string(), str::to_string);
        let detail = e.to_string();
        let first = detail.lines().next().unwrap_or("").trim_start_matches("error: ").to_string();
        println!(
            "{:#}",
            serde_json::json!({ "error": if first.is_empty() { message } else { first }, "code": "usage" })
        );
    }
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(e),
    };
    let out = Out::new(cli.global.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            out.fail(&eyre::eyre!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let g = &cli.global;
        match cli.command {
            Command::Deploy(args) => cmd::deploy::run(g, &out, args).await,
            Command::Wallet(c) => cmd::wallet::run(g, &out, c),
            Command::Token(c) => cmd::token::run(g, &out, c).await,
            Command::Owner(c) => cmd::owner::run(g, &out, c).await,
            Command::Researcher(c) => cmd::researcher::run(g, &out, c).await,
            Command::Operator(c) => cmd::operator::run(g, &out, c).await,
            Command::Arbiter(c) => cmd::arbiter::run(g, &out, c).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.fail(&e);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_explains_itself_with_an_example() {
        fn walk(cmd: &clap::Command, path: &str) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_subcommands().next().is_none() {
                let help = cmd.clone().render_long_help().to_string();
                assert!(help.contains("Example"), "`{path} --help` shows no example");
                assert!(cmd.get_about().is_some(), "`{path}` has no description");
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path);
            }
        }
        walk(&Cli::command(), "");
    }

    #[test]
    fn global_options_go_anywhere_and_json_is_a_flag() {
        let cli = Cli::try_parse_from([
            "strand",
            "token",
            "balance",
            "--json",
            "--rpc-url",
            "http://x:1",
        ])
        .expect("parses");
        assert!(cli.global.json);
        assert_eq!(cli.global.rpc_url.as_deref(), Some("http://x:1"));
    }

    #[test]
    fn there_is_no_private_key_flag() {
        let err = Cli::try_parse_from(["strand", "--private-key", "0x01", "token", "balance"])
            .expect_err("a key on the command line would land in shell history");
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
