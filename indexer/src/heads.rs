//! New heads: a `newHeads` subscription over WebSocket when the node offers
//! one, so the indexer wakes as soon as a block lands instead of at its
//! next poll. The subscription only wakes the indexer; what is indexed is
//! still read over HTTP and checked block by block, so a dropped or lying
//! subscription costs latency, never correctness. Without one the indexer
//! polls.

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::sync::Metrics;

/// The WebSocket endpoint for an RPC URL: `ws://` and `wss://` as given,
/// `http(s)://host:port/path` as `ws(s)://host:port/path` (anvil,
/// arbos-anvil and many providers serve both on one port).
pub fn ws_url(rpc_url: &str) -> Option<String> {
    if rpc_url.starts_with("ws://") || rpc_url.starts_with("wss://") {
        return Some(rpc_url.to_string());
    }
    rpc_url
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .or_else(|| rpc_url.strip_prefix("https://").map(|rest| format!("wss://{rest}")))
}

/// Subscribes to `newHeads` at `url` and wakes `notify` on every head,
/// reconnecting with backoff when the connection drops. Returns `false`
/// at once if the first connection fails (the node has no WebSocket); the
/// caller then polls.
pub async fn follow(url: String, notify: Arc<Notify>, metrics: Arc<Metrics>) -> bool {
    let Ok(first) = tokio::time::timeout(Duration::from_secs(3), subscribe(&url)).await else {
        return false;
    };
    let Ok(mut stream) = first else { return false };
    tracing::info!(target: "strand::heads", %url, "following newHeads over WebSocket");
    metrics.websocket.store(true, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(250);
        loop {
            while let Some(number) = stream.next().await {
                metrics.head.fetch_max(number, Ordering::Relaxed);
                notify.notify_one();
                backoff = Duration::from_millis(250);
            }
            metrics.websocket.store(false, Ordering::Relaxed);
            tracing::warn!(target: "strand::heads", %url, "newHeads subscription ended; polling until it is back");
            loop {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                if let Ok(s) = subscribe(&url).await {
                    stream = s;
                    metrics.websocket.store(true, Ordering::Relaxed);
                    tracing::info!(target: "strand::heads", %url, "newHeads subscription restored");
                    break;
                }
            }
        }
    });
    true
}

/// A stream of new head numbers. The provider lives inside the stream, so
/// the connection stays open as long as the stream does.
async fn subscribe(url: &str) -> eyre::Result<futures_util::stream::BoxStream<'static, u64>> {
    let provider = ProviderBuilder::new().connect_ws(WsConnect::new(url)).await?;
    let sub = provider.subscribe_blocks().await?;
    let stream = sub.into_stream().map(move |h| {
        let _keep = &provider;
        h.number
    });
    Ok(stream.boxed())
}

#[cfg(test)]
mod tests {
    use super::ws_url;

    #[test]
    fn http_endpoints_map_to_their_websocket_twins() {
        assert_eq!(ws_url("http://127.0.0.1:8547").as_deref(), Some("ws://127.0.0.1:8547"));
        assert_eq!(ws_url("https://rpc.example/v2/k").as_deref(), Some("wss://rpc.example/v2/k"));
        assert_eq!(ws_url("ws://h:1").as_deref(), Some("ws://h:1"));
        assert_eq!(ws_url("ipc:///tmp/x"), None);
    }
}
