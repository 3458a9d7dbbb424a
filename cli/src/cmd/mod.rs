//! One module per role.

pub(crate) mod arbiter;
pub(crate) mod deploy;
pub(crate) mod operator;
pub(crate) mod owner;
pub(crate) mod researcher;
pub(crate) mod token;
pub(crate) mod wallet;

use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use eyre::WrapErr;
use strand_client::deploy::Manifest;

/// Every `E` event the program at `address` emitted since the deployment,
/// filtered on `topics` (1 to 3, `None` for any), oldest first.
pub(crate) async fn events<E: SolEvent>(
    provider: &DynProvider,
    manifest: &Manifest,
    address: Address,
    topics: [Option<B256>; 3],
) -> eyre::Result<Vec<(E, Log)>> {
    let mut filter = Filter::new()
        .address(address)
        .event_signature(E::SIGNATURE_HASH)
        .from_block(manifest.programs.first_block());
    if let Some(t) = topics[0] {
        filter = filter.topic1(t);
    }
    if let Some(t) = topics[1] {
        filter = filter.topic2(t);
    }
    if let Some(t) = topics[2] {
        filter = filter.topic3(t);
    }
    let logs = provider.get_logs(&filter).await.wrap_err("cannot read the chain's logs")?;
    logs.into_iter()
        .map(|log| {
            let event = E::decode_log_data(log.data()).wrap_err("a log that does not decode")?;
            Ok((event, log))
        })
        .collect()
}

/// A topic for an indexed `uint64`.
pub(crate) fn topic_u64(v: u64) -> B256 {
    B256::left_padding_from(&v.to_be_bytes())
}

/// A topic for an indexed `address`.
pub(crate) fn topic_address(a: Address) -> B256 {
    a.into_word()
}
