//! Every event of the four programs, decoded without a line per event: the
//! declarations are read from the exported ABI files (the ones the
//! bindings come from), so an event added to a program is mirrored as soon
//! as its ABI is re-exported.

use std::collections::HashMap;

use alloy::{
    dyn_abi::{DynSolValue, EventExt},
    json_abi::Event,
    primitives::{Log, B256},
};
use eyre::{eyre, WrapErr};
use serde_json::{Map, Value};

/// The ABI files, by program name.
pub const ABI_FILES: [(&str, &str); 4] = [
    ("gene", include_str!("../../contracts/abi/Gene.sol")),
    ("staking", include_str!("../../contracts/abi/Staking.sol")),
    ("datasets", include_str!("../../contracts/abi/Datasets.sol")),
    ("ledger", include_str!("../../contracts/abi/Ledger.sol")),
];

/// The events of one program, by topic 0.
#[derive(Debug, Default)]
pub struct Events(HashMap<B256, Event>);

/// A decoded log: the event's name and its arguments by name. Integers
/// are decimal strings (a uint256 does not fit a JSON number), addresses
/// checksummed, bytes `0x` hex.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// Event name.
    pub name: String,
    /// Arguments by name, in declaration order.
    pub args: Map<String, Value>,
}

impl Events {
    /// Parses the `event` declarations of an ABI file, including those
    /// that span several lines.
    pub fn parse(sol: &str) -> eyre::Result<Self> {
        let mut map = HashMap::new();
        let mut pending: Option<String> = None;
        for line in sol.lines() {
            let line = line.trim();
            if line.starts_with("//") {
                continue;
            }
            let current = match pending.take() {
                Some(mut acc) => {
                    acc.push(' ');
                    acc.push_str(line);
                    acc
                }
                None if line.starts_with("event ") => line.to_string(),
                None => continue,
            };
            if let Some(decl) = current.strip_suffix(';') {
                let event = Event::parse(decl)
                    .wrap_err_with(|| format!("bad event declaration {decl:?}"))?;
                map.insert(event.selector(), event);
            } else {
                pending = Some(current);
            }
        }
        Ok(Self(map))
    }

    /// Decodes `log`, or `None` if it is not one of these events.
    pub fn decode(&self, log: &Log) -> eyre::Result<Option<Decoded>> {
        let Some(topic0) = log.topics().first() else { return Ok(None) };
        let Some(event) = self.0.get(topic0) else { return Ok(None) };
        let decoded = event
            .decode_log(&log.data)
            .map_err(|e| eyre!("{} log does not decode: {e}", event.name))?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        let mut args = Map::new();
        for input in &event.inputs {
            let value = if input.indexed { indexed.next() } else { body.next() };
            let value =
                value.ok_or_else(|| eyre!("{} log is missing {}", event.name, input.name))?;
            args.insert(input.name.clone(), json(&value));
        }
        Ok(Some(Decoded { name: event.name.clone(), args }))
    }

    /// Number of events known.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no event is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn json(v: &DynSolValue) -> Value {
    match v {
        DynSolValue::Address(a) => Value::String(a.to_checksum(None)),
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Uint(x, _) => Value::String(x.to_string()),
        DynSolValue::Int(x, _) => Value::String(x.to_string()),
        DynSolValue::FixedBytes(w, n) => Value::String(alloy::hex::encode_prefixed(&w[..*n])),
        DynSolValue::Bytes(b) => Value::String(alloy::hex::encode_prefixed(b)),
        DynSolValue::String(s) => Value::String(s.clone()),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            Value::Array(items.iter().map(json).collect())
        }
        other => Value::String(format!("{other:?}")),
    }
}

/// The events of every program, by program name.
pub fn all() -> eyre::Result<HashMap<&'static str, Events>> {
    ABI_FILES.iter().map(|(name, sol)| Ok((*name, Events::parse(sol)?))).collect()
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{Address, Bytes, LogData, U256},
        sol_types::SolEvent,
    };

    use super::*;

    #[test]
    fn every_event_declaration_is_read_including_multi_line_ones() {
        let all = all().unwrap();
        for (name, sol) in ABI_FILES {
            let declared = sol.lines().filter(|l| l.trim_start().starts_with("event ")).count();
            assert_eq!(all[name].len(), declared, "{name}");
        }
        assert!(
            all["ledger"].len() >= 12 && all["staking"].len() >= 10,
            "ledger and staking events"
        );
    }

    #[test]
    fn a_query_submission_decodes_with_every_field() {
        use strand_bindings::ledger::QuerySubmitted;
        let e = QuerySubmitted {
            id: 7,
            researcher: Address::repeat_byte(1),
            operator: Address::repeat_byte(2),
            specHash: B256::repeat_byte(3),
            spec: Bytes::from_static(b"{}"),
            purpose: "DS:MONDO:0005148".into(),
            rewardPerConsent: U256::MAX,
            maxConsents: 20,
            minConsents: 5,
            consentDeadline: u64::MAX,
            resultDeadline: 9,
            researcherKey: Bytes::from_static(&[0xaa; 32]),
            escrow: U256::from(10),
            operatorFee: U256::from(1),
            protocolFee: U256::ZERO,
        };
        let data: LogData = e.encode_log_data();
        let log = Log { address: Address::ZERO, data };
        let d = all().unwrap()["ledger"].decode(&log).unwrap().expect("known");
        assert_eq!(d.name, "QuerySubmitted");
        assert_eq!(d.args["id"], "7");
        assert_eq!(d.args["operator"], Address::repeat_byte(2).to_checksum(None));
        assert_eq!(d.args["rewardPerConsent"], U256::MAX.to_string());
        assert_eq!(d.args["consentDeadline"], u64::MAX.to_string());
        assert_eq!(d.args["purpose"], "DS:MONDO:0005148");
        assert_eq!(d.args["spec"], "0x7b7d");
        assert_eq!(d.args.len(), 15);
    }

    #[test]
    fn foreign_logs_are_not_guessed() {
        let log = Log {
            address: Address::ZERO,
            data: LogData::new_unchecked(vec![B256::ZERO], Bytes::new()),
        };
        assert!(all().unwrap()["gene"].decode(&log).unwrap().is_none());
    }
}
