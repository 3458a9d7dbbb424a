//! Connecting to a Stylus chain the way Strand's tools and tests do.
//!
//! [`connect`] builds a signing provider whose gas limits carry a margin
//! over the node's estimate ([`PaddedGas`]). An estimate is a simulation
//! at the pending block's timestamp, and Strand's programs do time-driven
//! work: a staking call estimated within the second of the last accrual
//! skips minting emissions, and if it lands a second later it mints them
//! through a call into GENE, needing more gas than it was given (measured
//! on arbos-anvil: `slash` estimated at 137k ran out of gas at 178k).
//! Arbitrum charges for the gas used, not the limit, so the margin is
//! free unless the account cannot cover the limit.

pub mod arbwasm;
pub mod deploy;

use alloy::{
    network::{Ethereum, EthereumWallet, Network, TransactionBuilder},
    providers::{
        fillers::{FillerControlFlow, TxFiller},
        utils::Eip1559Estimation,
        DynProvider, Provider, ProviderBuilder, SendableTx,
    },
    signers::local::PrivateKeySigner,
    transports::TransportResult,
};

/// Percent of the node's estimate a transaction's gas limit is set to,
/// before [`GAS_MARGIN_FIXED`] is added.
pub const GAS_MARGIN_PERCENT: u64 = 150;
/// Gas added to every padded estimate: room for one cross-program call
/// (an emissions mint) the estimate did not take.
pub const GAS_MARGIN_FIXED: u64 = 150_000;

/// Fills the gas limit with the node's estimate raised by [`padded`] (a
/// limit the caller set is kept) and the EIP-1559 fees, in place of alloy's
/// `GasFiller`, which sends exactly the estimate.
#[derive(Clone, Copy, Debug, Default)]
pub struct PaddedGas;

/// What [`PaddedGas`] fills in.
#[derive(Clone, Copy, Debug)]
pub struct GasFill {
    gas_limit: u64,
    fees: Eip1559Estimation,
}

/// `estimate` raised by [`GAS_MARGIN_PERCENT`] and [`GAS_MARGIN_FIXED`],
/// saturating.
pub fn padded(estimate: u64) -> u64 {
    let padded =
        u128::from(estimate) * u128::from(GAS_MARGIN_PERCENT) / 100 + u128::from(GAS_MARGIN_FIXED);
    u64::try_from(padded).unwrap_or(u64::MAX)
}

impl<N: Network> TxFiller<N> for PaddedGas {
    type Fillable = GasFill;

    fn status(&self, tx: &N::TransactionRequest) -> FillerControlFlow {
        let fees = tx.max_fee_per_gas().is_some() && tx.max_priority_fee_per_gas().is_some();
        if tx.gas_limit().is_some() && fees {
            FillerControlFlow::Finished
        } else {
            FillerControlFlow::Ready
        }
    }

    fn fill_sync(&self, _tx: &mut SendableTx<N>) {}

    async fn prepare<P: Provider<N>>(
        &self,
        provider: &P,
        tx: &N::TransactionRequest,
    ) -> TransportResult<GasFill> {
        let gas_limit = match tx.gas_limit() {
            Some(limit) => limit,
            None => padded(provider.estimate_gas(tx.clone()).await?),
        };
        let fees = match (tx.max_fee_per_gas(), tx.max_priority_fee_per_gas()) {
            (Some(max_fee_per_gas), Some(max_priority_fee_per_gas)) => {
                Eip1559Estimation { max_fee_per_gas, max_priority_fee_per_gas }
            }
            _ => provider.estimate_eip1559_fees().await?,
        };
        Ok(GasFill { gas_limit, fees })
    }

    async fn fill(&self, fill: GasFill, mut tx: SendableTx<N>) -> TransportResult<SendableTx<N>> {
        if let Some(builder) = tx.as_mut_builder() {
            builder.set_gas_limit(fill.gas_limit);
            builder.set_max_fee_per_gas(fill.fees.max_fee_per_gas);
            builder.set_max_priority_fee_per_gas(fill.fees.max_priority_fee_per_gas);
        }
        Ok(tx)
    }
}

/// A provider for `url` that signs with `signer`, fills chain id and
/// nonces, and pads gas limits ([`PaddedGas`]).
pub fn connect(
    url: alloy::transports::http::reqwest::Url,
    signer: PrivateKeySigner,
) -> DynProvider {
    ProviderBuilder::<_, _, Ethereum>::default()
        .filler(PaddedGas)
        .with_cached_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased()
}

/// A sent transaction that must succeed.
pub trait Confirm {
    /// Waits for the receipt and fails, naming the transaction, if it
    /// reverted.
    fn confirmed(
        self,
    ) -> impl std::future::Future<Output = eyre::Result<alloy::rpc::types::TransactionReceipt>>;
}

impl Confirm for alloy::providers::PendingTransactionBuilder<Ethereum> {
    async fn confirmed(self) -> eyre::Result<alloy::rpc::types::TransactionReceipt> {
        let receipt = self.get_receipt().await?;
        if !receipt.status() {
            eyre::bail!(
                "transaction {} reverted after using {} gas",
                receipt.transaction_hash,
                receipt.gas_used
            );
        }
        Ok(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_half_plus_room_for_one_call_and_never_overflows() {
        assert_eq!(padded(100_000), 300_000);
        assert_eq!(padded(0), 150_000);
        assert_eq!(padded(99), 150_148);
        assert_eq!(padded(u64::MAX), u64::MAX);
    }
}
