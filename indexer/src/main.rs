//! `strand-indexer`: see the library's documentation.

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{atomic::AtomicBool, Arc},
    time::Duration,
};

use alloy::providers::{Provider, ProviderBuilder};
use clap::Parser;
use eyre::{eyre, WrapErr};
use strand_client::deploy::Manifest;
use strand_indexer::{api, store::Store, sync};

/// Mirror every event of a Strand deployment into PostgreSQL and serve it.
///
/// Example:
///   strand-indexer --manifest deployments/31337.json \
///     --database-url postgres://strand@127.0.0.1:5433/strand --listen 127.0.0.1:8080
#[derive(Debug, Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// Deployment manifest written by `strand deploy`
    #[arg(long, env = "STRAND_DEPLOYMENT", value_name = "FILE")]
    manifest: PathBuf,
    /// JSON-RPC endpoint of the chain
    #[arg(long, env = "STRAND_RPC_URL", default_value = "http://127.0.0.1:8547")]
    rpc_url: String,
    /// PostgreSQL connection URL
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Address the read API listens on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Index only blocks this many below the head
    #[arg(long, default_value_t = 0)]
    confirmations: u64,
    /// Blocks kept for reorg detection and rollback
    #[arg(long, default_value_t = 64)]
    reorg_window: u64,
    /// Milliseconds between head polls once caught up
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let parts: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", parts.join(": "));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> eyre::Result<()> {
    let manifest = Manifest::read(&args.manifest)?;
    let url = args.rpc_url.parse().map_err(|_| eyre!("bad RPC URL {:?}", args.rpc_url))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    provider
        .get_chain_id()
        .await
        .map_err(|_| eyre!("cannot reach the node at {}", args.rpc_url))?;
    let store = Store::open(&args.database_url).await?;
    let config = sync::Config {
        confirmations: args.confirmations,
        reorg_window: args.reorg_window,
        poll: Duration::from_millis(args.poll_ms),
        ..Default::default()
    };
    let mut indexer = sync::Indexer::new(store.clone(), provider, &manifest, config).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
    let app =
        api::router(api::Api { pool: store.pool().clone(), metrics: indexer.metrics.clone() });
    tracing::info!(listen = %args.listen, first_block = manifest.programs.first_block(), "indexing");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    indexer.run(stop, |n, head| tracing::info!(indexed = n, head, "progress")).await
}
