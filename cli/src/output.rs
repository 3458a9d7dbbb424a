//! How commands talk: text for people, one JSON document for scripts, a
//! spinner while a transaction waits, one line per failure.

use std::time::Duration;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::Ethereum,
    providers::Provider,
    rpc::types::TransactionReceipt,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use strand_client::Confirm;

use crate::errors;

/// Where output goes, and in which form.
pub(crate) struct Out {
    json: bool,
}

impl Out {
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints the command's result: `text` for people, `doc` with `--json`.
    pub(crate) fn emit(&self, text: impl AsRef<str>, doc: Value) {
        if self.json {
            println!("{doc:#}");
        } else {
            println!("{}", text.as_ref().trim_end());
        }
    }

    /// Reports a failure: one line on stderr; with `--json` also a JSON
    /// document on stdout.
    pub(crate) fn fail(&self, e: &eyre::Report) {
        let message = errors::one_line(e);
        if self.json {
            println!("{:#}", json!({ "error": message, "code": errors::code(e) }));
        }
        eprintln!("error: {message}");
    }

    /// Progress for people on a terminal; nothing otherwise.
    pub(crate) fn spinner(&self, message: String) -> ProgressBar {
        if self.json {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner().with_message(message);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// A line of progress on stderr, for people.
    pub(crate) fn note(&self, line: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", line.as_ref());
        }
    }

    /// Sends `call`, shows a spinner until it is mined, and fails with the
    /// contract's decoded error if it reverts.
    pub(crate) async fn send<P, D>(
        &self,
        what: &str,
        call: CallBuilder<P, D>,
    ) -> eyre::Result<TransactionReceipt>
    where
        P: Provider<Ethereum>,
        D: CallDecoder,
    {
        let bar = self.spinner(format!("{what}: sending"));
        let result = async {
            let pending = call.send().await.map_err(errors::contract)?;
            bar.set_message(format!("{what}: waiting for {}", pending.tx_hash()));
            pending.confirmed().await
        }
        .await;
        bar.finish_and_clear();
        let receipt = result?;
        self.note(format!(
            "{what}: done in block {} ({} gas)",
            receipt.block_number.unwrap_or_default(),
            receipt.gas_used
        ));
        Ok(receipt)
    }
}

/// The fields of a receipt scripts care about.
/// A chain time (unix seconds) for people: `2026-12-04T08:00:00Z`.
pub(crate) fn when(unix: u64) -> String {
    // humantime formats up to the year 9999; a "never" deadline is beyond.
    if unix > 253_402_300_799 {
        return format!("{unix} (unix time)");
    }
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

pub(crate) fn receipt_json(r: &TransactionReceipt) -> Value {
    json!({
        "txHash": r.transaction_hash,
        "block": r.block_number,
        "gasUsed": r.gas_used,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn chain_times_read_as_dates() {
        assert_eq!(super::when(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::when(1_796_369_121), "2026-12-04T07:25:21Z");
        assert_eq!(super::when(u64::MAX), "18446744073709551615 (unix time)");
    }
}
