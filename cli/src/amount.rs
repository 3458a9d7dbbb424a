//! GENE amounts: 18 decimals, written as people write them.

use alloy::primitives::{
    utils::{format_units, parse_units},
    U256,
};
use eyre::{bail, eyre};

/// GENE's decimals.
pub(crate) const DECIMALS: u8 = 18;

/// Parses `"12"`, `"0.5"` or `"1_000"` GENE into wei. Refuses negatives,
/// more than 18 decimals, and anything that is not a number.
pub(crate) fn parse_gene(text: &str) -> eyre::Result<U256> {
    let clean = text.trim().replace('_', "");
    if clean.is_empty() || clean.starts_with('-') || clean.starts_with('+') {
        bail!("bad amount {text:?}: expected a positive number of GENE such as 10 or 0.25");
    }
    if !clean.chars().all(|c| c.is_ascii_digit() || c == '.') || clean.matches('.').count() > 1 {
        bail!("bad amount {text:?}: expected a positive number of GENE such as 10 or 0.25");
    }
    // Trailing zeros after the point change nothing (1.000…0 is 1).
    let clean = match clean.split_once('.') {
        Some((whole, frac)) => format!("{whole}.{}", frac.trim_end_matches('0')),
        None => clean,
    };
    let clean = clean.trim_end_matches('.').to_string();
    if clean.is_empty() {
        bail!("bad amount {text:?}: expected a positive number of GENE such as 10 or 0.25");
    }
    if clean.split_once('.').is_some_and(|(_, frac)| frac.len() > DECIMALS as usize) {
        bail!("bad amount {text:?}: GENE has 18 decimals");
    }
    let value = parse_units(&clean, DECIMALS).map_err(|e| eyre!("bad amount {text:?}: {e}"))?;
    Ok(value.get_absolute())
}

/// Formats wei as GENE, without trailing zeros: `1.5`, `10`, `0.000001`.
pub(crate) fn format_gene(wei: U256) -> String {
    let text = format_units(wei, DECIMALS).expect("18 decimals is valid");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() {
        "0".into()
    } else {
        text.into()
    }
}

/// `U256` as a decimal string in JSON, as every `--json` amount is and as
/// the indexer serves them (alloy's own serde form is hex).
pub(crate) mod decimal {
    use alloy::primitives::U256;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| D::Error::custom(format!("not a decimal amount: {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENE: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn amounts_parse_with_decimals() {
        assert_eq!(parse_gene("10").unwrap(), U256::from(10 * GENE));
        assert_eq!(parse_gene("0.25").unwrap(), U256::from(GENE / 4));
        assert_eq!(parse_gene("1_000").unwrap(), U256::from(1000 * GENE));
        assert_eq!(parse_gene(".5").unwrap(), U256::from(GENE / 2));
        assert_eq!(parse_gene("0.000000000000000001").unwrap(), U256::from(1));
        assert_eq!(parse_gene("0").unwrap(), U256::ZERO);
        assert_eq!(parse_gene("1.0000000000000000000").unwrap(), U256::from(GENE));
        assert_eq!(parse_gene("10.").unwrap(), U256::from(10 * GENE));
    }

    #[test]
    fn bad_amounts_say_what_is_wrong() {
        for bad in ["", "-1", "+1", "ten", "1.2.3", "1e18", "0x10", " "] {
            let err = parse_gene(bad).unwrap_err().to_string();
            assert!(err.starts_with("bad amount"), "{bad:?}: {err}");
        }
        let err = parse_gene("0.0000000000000000001").unwrap_err().to_string();
        assert!(err.contains("18 decimals"), "{err}");
    }

    #[test]
    fn amounts_format_without_trailing_zeros() {
        assert_eq!(format_gene(U256::from(10 * GENE)), "10");
        assert_eq!(format_gene(U256::from(GENE + GENE / 2)), "1.5");
        assert_eq!(format_gene(U256::from(1)), "0.000000000000000001");
        assert_eq!(format_gene(U256::ZERO), "0");
        assert_eq!(format_gene(U256::from(31_800_000_000_000_000_000u128)), "31.8");
    }
}
