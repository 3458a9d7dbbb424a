//! One module per role.

pub(crate) mod arbiter;
pub(crate) mod deploy;
pub(crate) mod operator;
pub(crate) mod owner;
pub(crate) mod researcher;
pub(crate) mod token;
pub(crate) mod wallet;

use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    sol_types::{SolError, SolEvent},
};
use eyre::WrapErr;
use strand_bindings::gene::IGene;
use strand_client::deploy::Manifest;

use crate::{context::Session, errors};

/// An address from the command line: `0x` and 40 hex digits. Written in
/// mixed case it must carry a valid EIP-55 checksum, so that a mistyped
/// digit is caught before anything is sent to it.
pub(crate) fn parse_address(s: &str) -> Result<Address, String> {
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not an address: expected 0x and 40 hex digits"));
    }
    let mixed =
        hex.chars().any(|c| c.is_ascii_uppercase()) && hex.chars().any(|c| c.is_ascii_lowercase());
    if mixed {
        return Address::parse_checksummed(format!("0x{hex}"), None).map_err(|_| {
            format!("{s} has a wrong checksum (its mix of upper and lower case): check it for a typo, or write it in lower case to skip the check")
        });
    }
    format!("0x{hex}").parse().map_err(|e| format!("{s:?} is not an address: {e}"))
}

/// Fails, as GENE's transfer would, unless the signing account holds
/// `amount`.
pub(crate) async fn enough_gene(s: &Session, amount: U256) -> eyre::Result<()> {
    let gene = IGene::new(s.manifest.programs.gene.address, &s.provider);
    let balance = gene.balanceOf(s.address).call().await.map_err(errors::contract)?;
    if balance < amount {
        let e = IGene::ERC20InsufficientBalance { _0: s.address, _1: balance, _2: amount };
        return Err(errors::would_revert(&e.abi_encode()));
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::parse_address;

    #[test]
    fn addresses_with_a_wrong_checksum_are_refused() {
        let good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        assert_eq!(parse_address(good).unwrap().to_checksum(None), good);
        // Lower or upper case alone carries no checksum.
        assert!(parse_address(&good.to_lowercase()).is_ok());
        assert!(parse_address("0x70997970C51812DC3A010C7D01B50E0D17DC79C8").is_ok());
        // One digit off: the checksum no longer matches.
        let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
        assert!(parse_address(typo).unwrap_err().contains("wrong checksum"), "{typo}");
        for bad in ["0x7099…79C8", "0x1234", "alice", "0xZZ997970C51812dc3A010C7d01b50e0d17dc79C8"]
        {
            let e = parse_address(bad).unwrap_err();
            assert!(e.contains("expected 0x and 40 hex digits"), "{bad}: {e}");
        }
    }
}
