//! `strand-demo`: the whole Strand story on real genomes, on a running
//! devnet (see `scripts/demo.sh`, which starts one and builds what this
//! needs). Narrates on stderr, prints the final table on stdout, and exits
//! non-zero when a step or a cross-check fails.

use std::{path::PathBuf, process::ExitCode};

use alloy::providers::{Provider, ProviderBuilder};
use clap::Parser;
use eyre::{eyre, WrapErr};
use sqlx::Connection;
use strand_e2e::story::{self, Setup};

/// Run the Strand story end to end on a devnet: deploy, twenty owners
/// register 1000 Genomes samples, a researcher pays for a carrier count,
/// owners decide, the operator answers, everyone settles; then check the
/// chain, the indexer and the VCF against each other.
///
/// Example:
///   strand-demo --database-url postgres://strand@127.0.0.1:5433/strand
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct Args {
    /// The `strand` binary
    #[arg(long, default_value = "target/release/strand")]
    strand: PathBuf,
    /// The `strand-indexer` binary
    #[arg(long, default_value = "target/release/strand-indexer")]
    indexer: PathBuf,
    /// JSON-RPC endpoint of a Stylus chain
    #[arg(long, env = "STRAND_RPC_URL", default_value = "http://127.0.0.1:8547")]
    rpc_url: String,
    /// PostgreSQL server; the demo (re)creates its own database `strand_demo` on it
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Folder for the demo's local state, owners' files, the vault and logs
    #[arg(long, default_value = ".devnet/demo")]
    work: PathBuf,
    /// Built programs (scripts/build-contracts.sh)
    #[arg(long, default_value = "contracts/artifacts")]
    artifacts: PathBuf,
    /// The 1000 Genomes VCF
    #[arg(long, default_value = "testdata/1kg.vcf.gz")]
    vcf: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: a cross-check failed (marked FAILED above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> eyre::Result<bool> {
    for bin in [&args.strand, &args.indexer] {
        if !bin.is_file() {
            return Err(eyre!(
                "{} not found: build it with `cargo build --release`",
                bin.display()
            ));
        }
    }
    let url = args.rpc_url.parse().map_err(|_| eyre!("bad RPC URL {:?}", args.rpc_url))?;
    let chain_id = ProviderBuilder::new().connect_http(url).get_chain_id().await.map_err(|_| {
        eyre!("no chain answers at {}: start one with scripts/devnet.sh up", args.rpc_url)
    })?;
    let database_url = fresh_database(&args.database_url, "strand_demo").await?;
    let setup = Setup {
        strand: args.strand,
        indexer: args.indexer,
        rpc_url: args.rpc_url,
        database_url,
        manifest: PathBuf::from(format!("deployments/{chain_id}.json")),
        work: args.work,
        artifacts: args.artifacts,
        vcf: args.vcf,
    };
    let outcome = story::run(&setup, |line| eprintln!("{line}")).await?;
    println!("{}", outcome.render());
    Ok(outcome.ok())
}

/// Drops and creates database `name` on the server `admin` names, and
/// returns its URL: each run indexes its deployment from the start.
async fn fresh_database(admin: &str, name: &str) -> eyre::Result<String> {
    let mut conn = sqlx::PgConnection::connect(admin).await.wrap_err(
        "cannot connect to PostgreSQL (DATABASE_URL): start it with scripts/devnet.sh up",
    )?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    Ok(format!("{base}/{name}"))
}
