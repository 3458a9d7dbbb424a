//! Listings from the indexer's read API (`--indexer-url`), when it answers
//! and has caught up with the chain; the commands fall back to reading
//! chain logs otherwise, saying why on stderr.

use std::time::Duration;

use alloy::providers::Provider;
use eyre::{bail, WrapErr};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{context::Global, output::Out};

/// Blocks the index may trail the chain's head by and still be read.
const MAX_LAG: u64 = 2;

/// A reachable, caught-up indexer.
pub(crate) struct Indexer {
    url: String,
    http: reqwest::Client,
}

impl Indexer {
    /// The indexer `--indexer-url` names, if it answers and its index is
    /// within [`MAX_LAG`] blocks of `provider`'s head; `None` (after one
    /// line on stderr saying why) when listings should read the chain.
    pub(crate) async fn find(g: &Global, out: &Out, provider: &impl Provider) -> Option<Self> {
        let url = g.indexer_url.as_deref()?.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().ok()?;
        let ix = Self { url, http };
        match ix.usable(provider).await {
            Ok(()) => Some(ix),
            Err(e) => {
                out.note(format!("note: {e}; reading chain logs instead"));
                None
            }
        }
    }

    async fn usable(&self, provider: &impl Provider) -> eyre::Result<()> {
        let status: Value = self.get("/status").await?;
        let indexed = status["indexed"].as_u64().unwrap_or(0);
        let head = provider.get_block_number().await.unwrap_or(indexed);
        if head > indexed + MAX_LAG {
            bail!("the indexer at {} is {} blocks behind the chain", self.url, head - indexed);
        }
        Ok(())
    }

    /// `GET path`, decoded.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> eyre::Result<T> {
        let url = format!("{}{path}", self.url);
        let response = self.http.get(&url).send().await.map_err(|_| {
            eyre::eyre!("the indexer at {} does not answer (is strand-indexer running?)", self.url)
        })?;
        let status = response.status();
        if !status.is_success() {
            bail!("the indexer at {} answered {status} for {path}", self.url);
        }
        response
            .json()
            .await
            .wrap_err_with(|| format!("the indexer's answer to {path} is not what strand expects"))
    }
}
