//! Failures in one line: a program's custom error decoded by name and
//! parameters into what went wrong and what to do.
//!
//! The error signatures come from the exported ABI files (the same ones
//! the bindings are generated from), so every custom error of every
//! program decodes, and one added later decodes by name without a change
//! here.

use std::{collections::HashMap, sync::OnceLock};

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::Error as AbiError,
    primitives::Selector,
};
use eyre::eyre;

use crate::{amount::format_gene, output::when};

const ABI_FILES: [&str; 4] = [
    include_str!("../../contracts/abi/Gene.sol"),
    include_str!("../../contracts/abi/Staking.sol"),
    include_str!("../../contracts/abi/Datasets.sol"),
    include_str!("../../contracts/abi/Ledger.sol"),
];

/// OpenZeppelin's errors, which the SDK exports without parameter names;
/// the names are those of ERC-6093 and OpenZeppelin's sources.
const OPENZEPPELIN: &str = "
error ECDSAInvalidSignature();
error ECDSAInvalidSignatureS(bytes32 s);
error ERC20ExceededCap(uint256 increasedSupply, uint256 cap);
error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
error ERC20InvalidApprover(address approver);
error ERC20InvalidCap(uint256 cap);
error ERC20InvalidReceiver(address receiver);
error ERC20InvalidSender(address sender);
error ERC20InvalidSpender(address spender);
error ERC2612ExpiredSignature(uint256 deadline);
error ERC2612InvalidSigner(address signer, address owner);
error EnforcedPause();
error ExpectedPause();
";

/// Every custom error of the four programs, by selector. Named
/// declarations (the programs' `abi.sol` part) win over the SDK's unnamed
/// ones.
fn known() -> &'static HashMap<Selector, AbiError> {
    static KNOWN: OnceLock<HashMap<Selector, AbiError>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut map: HashMap<Selector, AbiError> = HashMap::new();
        for line in ABI_FILES.iter().chain([&OPENZEPPELIN]).flat_map(|f| f.lines()) {
            let line = line.trim();
            if !line.starts_with("error ") {
                continue;
            }
            let Ok(e) = AbiError::parse(line.trim_end_matches(';')) else { continue };
            let named = e.inputs.iter().all(|p| !p.name.is_empty());
            let selector = e.selector();
            if named || !map.contains_key(&selector) {
                map.insert(selector, e);
            }
        }
        map
    })
}

/// A decoded custom error.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) name: String,
    pub(crate) params: Vec<(String, DynSolValue)>,
}

impl Decoded {
    fn get(&self, name: &str) -> String {
        self.params.iter().find(|(n, _)| n == name).map(|(n, v)| show(n, v)).unwrap_or_default()
    }
}

/// Decodes revert data into a known custom error.
pub(crate) fn decode(data: &[u8]) -> Option<Decoded> {
    let selector = Selector::try_from(data.get(..4)?).ok()?;
    let abi = known().get(&selector)?;
    let values = abi.abi_decode_input(&data[4..]).ok()?;
    let params = abi.inputs.iter().map(|p| p.name.clone()).zip(values).collect();
    Some(Decoded { name: abi.name.clone(), params })
}

fn show(name: &str, v: &DynSolValue) -> String {
    match v {
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Uint(x, 256) if is_amount(name) => format!("{} GENE", format_gene(*x)),
        DynSolValue::Uint(x, _) => x.to_string(),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::FixedBytes(w, 32) if name == "name" || name == "role" => {
            String::from_utf8_lossy(w.as_slice()).trim_end_matches('\0').to_string()
        }
        DynSolValue::FixedBytes(w, _) => w.to_string(),
        other => format!("{other:?}"),
    }
}

fn is_amount(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "balance",
        "needed",
        "allowance",
        "escrow",
        "minimum",
        "stake",
        "requested",
        "amount",
        "bond",
        "cap",
        "supply",
    ]
    .iter()
    .any(|k| name.contains(k))
        && !name.contains("bps")
}

const STATES: [&str; 7] =
    ["unknown", "open", "answered", "disputed", "finalised", "refunded", "reclaimed"];

/// What `d` means and what to do about it, in one sentence.
pub(crate) fn message(d: &Decoded) -> String {
    let p = |n: &str| d.get(n);
    match d.name.as_str() {
        "NotDeployer" => format!("only the account that deployed this program may initialise it, once (caller {})", p("caller")),
        "UnknownDataset" => format!("there is no dataset {}: list yours with `strand owner datasets`", p("dataset")),
        "UnknownQuery" => format!("there is no query {}", p("query")),
        "NotDatasetOwner" => format!("dataset {} does not belong to {}: use the account that registered it", p("dataset"), p("caller")),
        "DatasetInactive" => format!("dataset {} is deactivated and takes part in no query", p("dataset")),
        "WrongOperator" => format!(
            "dataset {} is held by operator {}, but the query is answered by {}: only datasets held by the query's operator take part",
            p("dataset"), p("holder"), p("operator")
        ),
        "OperatorNotEligible" => format!("operator {} cannot take queries: it must stake at least the minimum and not be jailed (`strand operator stake`)", p("operator")),
        "SpecHashMismatch" => format!("the specification hashes to {}, not to the given {}", p("actual"), p("specHash")),
        "InvalidPurpose" => format!("purpose {} is not a GA4GH DUO code: use GRU, HMB, DS, POA or NRES, optionally with modifiers such as DS:MONDO:0005148", p("purpose")),
        "InvalidConsentBounds" => format!("consent counts must satisfy 0 < minimum ({}) <= maximum ({})", p("minConsents"), p("maxConsents")),
        "InvalidDeadlines" => format!(
            "deadlines must satisfy now ({}) < consent deadline ({}) < result deadline ({})",
            p("now"), p("consentDeadline"), p("resultDeadline")
        ),
        "DustQuery" => format!("the escrow of {} is below the minimum of {}: raise the reward or the number of consents", p("escrow"), p("minimum")),
        "WrongQueryState" => {
            let state = d.params.iter().find(|(n, _)| n == "state").and_then(|(_, v)| v.as_uint()).map(|(s, _)| s);
            let name = state.and_then(|s| STATES.get(usize::try_from(s).ok()?).copied()).unwrap_or("in another state");
            format!("query {} is {name}, so this is not possible now: see `strand researcher status {}`", p("query"), p("query"))
        }
        "QueryFull" => format!("query {} already has all {} approvals it pays for", p("query"), p("maxConsents")),
        "NotApproved" => format!("dataset {} has no approval on query {} that counts", p("dataset"), p("query")),
        "NotQueryOperator" => format!("only the query's operator may answer query {} (caller {})", p("query"), p("caller")),
        "NotArbiter" => format!("only the arbiter may do this (caller {})", p("caller")),
        "OutsideWindow" => {
            let time = |n: &str| d.params.iter().find(|(k, _)| k == n).and_then(|(_, v)| v.as_uint()).map(|(t, _)| t.saturating_to::<u64>()).unwrap_or(0);
            let (opens, closes, now) = (time("opens"), time("closes"), time("now"));
            if now >= opens && now < closes {
                // Inside the window: the call waits for it to close (finalize).
                format!("query {}: this waits until {}, the end of the window that opened at {}; it is now {}, {} s to go", p("query"), when(closes), when(opens), when(now), closes - now)
            } else {
                let until = if closes == u64::MAX { "on".to_string() } else { format!("until {}", when(closes)) };
                format!("query {}: this is allowed from {} {until}; it is now {}", p("query"), when(opens), when(now))
            }
        }
        "InvalidConsentCount" => format!(
            "query {} cannot be answered with {} consents: it needs at least {} and has {} approvals",
            p("query"), p("consentsUsed"), p("minConsents"), p("approvals")
        ),
        "AlreadyClaimed" => format!("the reward of dataset {} for query {} was claimed already", p("dataset"), p("query")),
        "RewardsExhausted" => format!("every reward of query {} has been paid", p("query")),
        "LengthMismatch" => format!("{} queries but {} datasets: give one dataset per query", p("queries"), p("datasets")),
        "InvalidParameter" => format!("parameter {} cannot be {}", p("name"), p("value")),
        "ArithmeticOverflow" => "the amounts are too large: an obligation does not fit in 256 bits".into(),
        "OwnableUnauthorizedAccount" => format!("{} is not the owner of this program", p("account")),
        "OwnableInvalidOwner" => format!("{} cannot own this program", p("owner")),
        "ERC2612ExpiredSignature" => format!("the permit expired at {} (unix time): sign a new one", p("deadline")),
        "ERC2612InvalidSigner" => format!("the permit was signed by {}, not by {}", p("signer"), p("owner")),
        "ERC20InsufficientBalance" => format!("not enough GENE: {} holds {} and needs {}", p("sender"), p("balance"), p("needed")),
        "ERC20InsufficientAllowance" => format!(
            "allowance too small: {} may spend {} and needs {}: grant it with `strand token approve`",
            p("spender"), p("allowance"), p("needed")
        ),
        "InsufficientStake" => format!("{} has {} staked, less than {}", p("operator"), p("stake"), p("requested")),
        "NothingUnbonding" => format!("{} has nothing unbonding: request it with `strand operator unstake`", p("operator")),
        "StillUnbonding" => format!("the stake of {} unbonds at {} (unix time); it is now {}", p("operator"), p("releaseAt"), p("now")),
        "OperatorJailed" => format!("operator {} is jailed until the arbiter unjails it", p("operator")),
        "NothingToClaim" => format!("{} has nothing to claim", p("operator")),
        "EnforcedPause" => "staking is paused".into(),
        _ => {
            let params: Vec<String> = d.params.iter().map(|(n, v)| format!("{n}: {}", show(n, v))).collect();
            format!("the program refused: {}({})", d.name, params.join(", "))
        }
    }
}

/// A call the program refused with one of its custom errors: the
/// sentence for people, and the error's name as the stable `code` of a
/// `--json` failure.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Reverted {
    /// The custom error's name, such as `WrongQueryState`.
    pub(crate) name: String,
    message: String,
}

impl From<Decoded> for Reverted {
    fn from(d: Decoded) -> Self {
        Self { message: message(&d), name: d.name }
    }
}

impl Reverted {
    /// What the program would answer with its custom error `name`, found
    /// out without a call (the query a command names has no submission).
    pub(crate) fn like(name: &str, message: String) -> Self {
        Self { name: name.into(), message }
    }
}

/// The stable code of a failure for `--json`: the custom error's name
/// when a program refused the call (or would), `failed` otherwise.
pub(crate) fn code(e: &eyre::Report) -> String {
    e.chain()
        .find_map(|c| c.downcast_ref::<Reverted>())
        .map_or_else(|| "failed".to_string(), |r| r.name.clone())
}

/// The failure a program would answer with: `error` is its custom error,
/// ABI-encoded (a check made before sending, with the program's words).
pub(crate) fn would_revert(error: &[u8]) -> eyre::Report {
    match decode(error) {
        Some(d) => Reverted::from(d).into(),
        None => eyre::eyre!("the program would refuse this call"),
    }
}

/// A failed contract call as one line, decoded where it carries a custom
/// error.
pub(crate) fn contract(e: alloy::contract::Error) -> eyre::Report {
    if let Some(data) = e.as_revert_data() {
        return match decode(&data) {
            Some(d) => Reverted::from(d).into(),
            None if data.is_empty() => eyre!("the transaction would revert without a reason"),
            None => eyre!("the transaction would revert with unknown data {data}"),
        };
    }
    match e {
        alloy::contract::Error::TransportError(t) if t.is_transport_error() => {
            eyre!("the RPC endpoint did not answer: {t}")
        }
        other => eyre!("{other}"),
    }
}

/// The report's chain of causes on one line, with no backtrace.
pub(crate) fn one_line(e: &eyre::Report) -> String {
    let parts: Vec<String> = e.chain().map(|c| c.to_string().replace('\n', " ")).collect();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{address, Address, U256},
        sol_types::SolError,
    };
    use strand_bindings::{gene, ledger, staking};

    use super::*;

    fn said(data: Vec<u8>) -> String {
        message(&decode(&data).expect("a known error"))
    }

    #[test]
    fn every_custom_error_of_every_program_decodes_by_name() {
        let declared: usize = ABI_FILES
            .iter()
            .chain([&OPENZEPPELIN])
            .flat_map(|f| f.lines())
            .filter(|l| l.trim_start().starts_with("error ") && l.contains(' ') && l.contains('('))
            .filter_map(|l| AbiError::parse(l.trim().trim_end_matches(';')).ok())
            .map(|e| e.selector())
            .collect::<std::collections::HashSet<_>>()
            .len();
        assert_eq!(known().len(), declared);
        assert!(
            known().values().all(|e| e.inputs.iter().all(|p| !p.name.is_empty())),
            "a parameter has no name"
        );
        for e in known().values() {
            let values: Vec<DynSolValue> = e.inputs.iter().map(|p| sample(&p.ty)).collect();
            // `abi_encode_input` puts the selector in front.
            let data = e.abi_encode_input(&values).unwrap();
            let d = decode(&data).expect("decodes");
            assert_eq!(d.name, e.name);
            let m = message(&d);
            assert!(!m.is_empty() && !m.contains('\n'), "{}: {m:?}", e.name);
        }
    }

    fn sample(ty: &str) -> DynSolValue {
        match ty {
            "address" => DynSolValue::Address(Address::repeat_byte(0x11)),
            "bool" => DynSolValue::Bool(true),
            "string" => DynSolValue::String("XYZ".into()),
            "bytes32" => DynSolValue::FixedBytes(alloy::primitives::B256::repeat_byte(0x61), 32),
            t if t.starts_with("uint") => {
                let bits = t[4..].parse().unwrap_or(256);
                DynSolValue::Uint(U256::from(7), bits)
            }
            t if t.starts_with("bytes") => {
                let n = t[5..].parse().unwrap();
                DynSolValue::FixedBytes(alloy::primitives::B256::ZERO, n)
            }
            t => panic!("no sample for {t}"),
        }
    }

    #[test]
    fn ledger_errors_read_as_sentences_with_their_values() {
        let caller = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(
            said(ledger::NotDatasetOwner { dataset: 3, caller }.abi_encode()),
            "dataset 3 does not belong to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8: use the account that registered it"
        );
        assert_eq!(
            said(ledger::WrongQueryState { query: 4, state: 4 }.abi_encode()),
            "query 4 is finalised, so this is not possible now: see `strand researcher status 4`"
        );
        let dust =
            ledger::DustQuery { escrow: U256::from(5u64), minimum: U256::from(10u128.pow(18)) };
        assert_eq!(
            said(dust.abi_encode()),
            "the escrow of 0.000000000000000005 GENE is below the minimum of 1 GENE: raise the reward or the number of consents"
        );
        let window = ledger::OutsideWindow { query: 1, opens: 10, closes: u64::MAX, now: 5 };
        assert_eq!(
            said(window.abi_encode()),
            "query 1: this is allowed from 1970-01-01T00:00:10Z on; it is now 1970-01-01T00:00:05Z"
        );
        // Finalisation names the challenge window it waits for.
        let wait = ledger::OutsideWindow { query: 2, opens: 100, closes: 160, now: 110 };
        assert_eq!(
            said(wait.abi_encode()),
            "query 2: this waits until 1970-01-01T00:02:40Z, the end of the window that opened at 1970-01-01T00:01:40Z; it is now 1970-01-01T00:01:50Z, 50 s to go"
        );
    }

    #[test]
    fn token_and_staking_errors_say_what_to_do() {
        let spender = Address::repeat_byte(0x22);
        let e = gene::IGene::ERC20InsufficientAllowance {
            _0: spender,
            _1: U256::ZERO,
            _2: U256::from(2u128 * 10u128.pow(18)),
        };
        let m = said(e.abi_encode());
        assert!(
            m.contains("may spend 0 GENE and needs 2 GENE") && m.contains("strand token approve"),
            "{m}"
        );
        let e = staking::InsufficientStake {
            operator: spender,
            stake: U256::ZERO,
            requested: U256::from(10u128.pow(18)),
        };
        assert!(said(e.abi_encode()).ends_with("has 0 GENE staked, less than 1 GENE"));
    }

    #[test]
    fn a_refused_call_carries_its_error_name_as_the_code() {
        let data = ledger::QueryFull { query: 2, maxConsents: 5 }.abi_encode();
        let report =
            eyre::Report::new(Reverted::from(decode(&data).unwrap())).wrap_err("approving");
        assert_eq!(code(&report), "QueryFull");
        assert_eq!(code(&eyre!("cannot reach the RPC endpoint")), "failed");
    }

    #[test]
    fn unknown_data_is_not_guessed() {
        assert!(decode(&[0xde, 0xad, 0xbe, 0xef]).is_none());
        assert!(decode(&[0x01]).is_none());
    }
}
