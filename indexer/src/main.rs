//! `strand-indexer`: see the library's documentation.

use std::{
    io::IsTerminal,
    path::PathBuf,
    process::ExitCode,
    sync::{atomic::AtomicBool, Arc},
    time::Duration,
};

use alloy::providers::{Provider, ProviderBuilder};
use clap::Parser;
use eyre::{eyre, WrapErr};
use indicatif::{ProgressBar, ProgressStyle};
use strand_client::deploy::Manifest;
use strand_indexer::{api, heads, store::Store, sync};
use tokio::sync::Notify;

/// Mirror every event of a Strand deployment into PostgreSQL and serve it.
///
/// Backfills from the programs' deployment block, then follows the head
/// (woken by WebSocket newHeads when the node offers them, polling
/// otherwise), rolling back reorgs inside the window. Safe to kill at any
/// moment: it resumes from its last committed block.
///
/// The read API: /health, /ready, /status, /metrics, /openapi.json, and the
/// views listed there.
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
    /// WebSocket endpoint for newHeads [default: the RPC URL as ws://; polling if it does not
    /// answer]
    #[arg(long, env = "STRAND_WS_URL", value_name = "URL")]
    ws_url: Option<String>,
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
    /// Warn when the head has not moved for this many seconds
    #[arg(long, default_value_t = 120)]
    stall_secs: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
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
    // Everything that can be wrong is checked before anything is written.
    let manifest = Manifest::read(&args.manifest)?;
    let url = args.rpc_url.parse().map_err(|_| eyre!("bad RPC URL {:?}", args.rpc_url))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|_| eyre!("cannot reach the node at {}: is it running?", args.rpc_url))?;
    if chain_id != manifest.chain_id {
        return Err(eyre!(
            "the node at {} serves chain {chain_id} but {} is for chain {}: point --rpc-url at chain {} or pass that chain's manifest",
            args.rpc_url,
            args.manifest.display(),
            manifest.chain_id,
            manifest.chain_id
        ));
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {} (pass another --listen)", args.listen))?;
    let store = Store::open(&args.database_url).await?;
    // Held until the process ends: one indexer per database.
    let _lock = strand_indexer::store::hold(&args.database_url, Duration::from_secs(5)).await?;
    let config = sync::Config {
        confirmations: args.confirmations,
        reorg_window: args.reorg_window,
        poll: Duration::from_millis(args.poll_ms),
        stall_after: Duration::from_secs(args.stall_secs),
        ..Default::default()
    };
    let mut indexer = sync::Indexer::new(store.clone(), provider, &manifest, config).await?;

    let notify = Arc::new(Notify::new());
    match args.ws_url.clone().or_else(|| heads::ws_url(&args.rpc_url)) {
        Some(ws) if heads::follow(ws.clone(), notify.clone(), indexer.metrics.clone()).await => {
            indexer.wake_on(notify);
        }
        ws => tracing::info!(
            target: "strand::heads",
            ws = ws.as_deref().unwrap_or("none"),
            poll_ms = args.poll_ms,
            "no WebSocket newHeads; polling"
        ),
    }

    let app =
        api::router(api::Api { pool: store.pool().clone(), metrics: indexer.metrics.clone() });
    let first_block = manifest.programs.first_block();
    tracing::info!(target: "strand::indexer", listen = %args.listen, first_block, "indexing");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });

    let mut progress = Progress::new(first_block);
    let result = indexer.run(stop, |n, head| progress.update(n, head)).await;
    progress.finish();
    result
}

/// Backfill progress: a bar on a terminal, a log line every few seconds
/// otherwise; once caught up, one line saying so and then quiet.
struct Progress {
    first: u64,
    bar: Option<ProgressBar>,
    caught_up: bool,
    last_log: std::time::Instant,
}

impl Progress {
    fn new(first: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "backfill {bar:40} {pos}/{len} blocks ({per_sec}, eta {eta})",
                )
                .expect("static template"),
            );
            bar
        });
        Self { first, bar, caught_up: false, last_log: std::time::Instant::now() }
    }

    fn update(&mut self, indexed: u64, head: u64) {
        if self.caught_up {
            tracing::debug!(target: "strand::sync", indexed, head, "indexed");
            return;
        }
        let (done, total) = (indexed.saturating_sub(self.first), head.saturating_sub(self.first));
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        } else if self.last_log.elapsed() > Duration::from_secs(5) {
            tracing::info!(target: "strand::sync", indexed, head, "backfilling");
            self.last_log = std::time::Instant::now();
        }
        if indexed >= head {
            self.finish();
            self.caught_up = true;
            tracing::info!(target: "strand::sync", indexed, head, "caught up; following the head");
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
