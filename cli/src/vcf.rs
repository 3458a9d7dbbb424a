//! Datasets as an owner and an operator see them: the salted commitment
//! that goes on chain, and the carrier count that a query asks for. The
//! genome itself never leaves the vault folder.

use std::io::Read;

use alloy::primitives::{keccak256, B256};
use eyre::{bail, eyre, WrapErr};
use serde::{Deserialize, Serialize};

/// The commitment registered for a dataset: `keccak256(salt ‖
/// keccak256(file))`. The salt keeps the commitment from confirming a
/// guess of the file's content.
pub(crate) fn commitment(salt: B256, file: &[u8]) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(salt.as_slice());
    preimage[32..].copy_from_slice(keccak256(file).as_slice());
    keccak256(preimage)
}

/// A query's specification: a Beacon-style count of the samples that
/// carry `alt` at `chrom:pos`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    /// Always `carrier_count`.
    pub(crate) kind: String,
    pub(crate) chrom: String,
    pub(crate) pos: u64,
    #[serde(rename = "ref")]
    pub(crate) reference: String,
    pub(crate) alt: String,
}

impl Spec {
    /// Parses and checks a specification file's bytes.
    pub(crate) fn parse(bytes: &[u8]) -> eyre::Result<Self> {
        let spec: Spec = serde_json::from_slice(bytes).wrap_err(
            "not a query specification: expected JSON such as \
             {\"kind\":\"carrier_count\",\"chrom\":\"2\",\"pos\":10038,\"ref\":\"C\",\"alt\":\"A\"}",
        )?;
        if spec.kind != "carrier_count" {
            bail!("unsupported query kind {:?}: only carrier_count is supported", spec.kind);
        }
        let bases = |s: &str| {
            !s.is_empty() && s.bytes().all(|b| b"ACGTN".contains(&b.to_ascii_uppercase()))
        };
        if spec.chrom.is_empty() || spec.pos == 0 || !bases(&spec.reference) || !bases(&spec.alt) {
            bail!("bad specification: chrom must be set, pos at least 1, ref and alt made of A, C, G, T, N");
        }
        Ok(spec)
    }
}

/// The answer an operator seals to the researcher's key; its keccak-256
/// is the commitment posted on chain.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) query: u64,
    pub(crate) carriers: u32,
    pub(crate) consents: u32,
}

/// Reads a VCF file, gunzipping it when it is (b)gzip-compressed.
pub(crate) fn read_text(file: &[u8]) -> eyre::Result<String> {
    let mut text = String::new();
    if file.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut text)
            .wrap_err("not a readable gzip file")?;
    } else {
        text = String::from_utf8(file.to_vec()).map_err(|_| eyre!("not a text VCF file"))?;
    }
    if !text.starts_with("##fileformat=VCF") {
        bail!("not a VCF file (no ##fileformat=VCF header)");
    }
    Ok(text)
}

/// Checks that a VCF's header names exactly one sample: a dataset is one
/// person's.
pub(crate) fn one_sample(text: &str) -> eyre::Result<()> {
    let header = text
        .lines()
        .find(|l| l.starts_with("#CHROM"))
        .ok_or_else(|| eyre!("no #CHROM header line"))?;
    let samples = header.split('\t').count().saturating_sub(9);
    if samples != 1 {
        bail!(
            "a dataset must hold one sample; this VCF holds {samples} (split it, e.g. `bcftools view -s SAMPLE`)"
        );
    }
    Ok(())
}

/// Whether the one sample of a single-sample VCF carries `spec.alt` at
/// the site: a called genotype with at least one copy of that allele. A
/// site absent from the file, or an uncalled genotype, is not a carrier.
pub(crate) fn carries(file: &[u8], spec: &Spec) -> eyre::Result<bool> {
    let text = read_text(file)?;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 10 {
            bail!("malformed VCF record (fewer than 10 columns)");
        }
        if cols.len() > 10 {
            bail!("a dataset must hold one sample; this VCF holds {}", cols.len() - 9);
        }
        let pos: u64 =
            cols[1].parse().map_err(|_| eyre!("malformed VCF position {:?}", cols[1]))?;
        if cols[0] != spec.chrom
            || pos != spec.pos
            || !cols[3].eq_ignore_ascii_case(&spec.reference)
        {
            continue;
        }
        let Some(alt_index) = cols[4].split(',').position(|a| a.eq_ignore_ascii_case(&spec.alt))
        else {
            continue;
        };
        let gt_at =
            cols[8].split(':').position(|k| k == "GT").ok_or_else(|| eyre!("record without GT"))?;
        let gt = cols[9].split(':').nth(gt_at).unwrap_or(".");
        let wanted = (alt_index + 1).to_string();
        return Ok(gt.split(['/', '|']).any(|allele| allele == wanted));
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::b256;

    use super::*;

    const VCF: &str =
        "##fileformat=VCFv4.0\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n\
        2\t100\t.\tC\tA\t.\tPASS\t.\tGT:DP\t0/1:10\n\
        2\t200\t.\tG\tT,C\t.\tPASS\t.\tGT\t2|2\n\
        2\t300\t.\tA\tG\t.\tPASS\t.\tGT\t./.\n\
        2\t400\t.\tT\tC\t.\tPASS\t.\tGT\t0/0\n";

    fn spec(pos: u64, reference: &str, alt: &str) -> Spec {
        Spec {
            kind: "carrier_count".into(),
            chrom: "2".into(),
            pos,
            reference: reference.into(),
            alt: alt.into(),
        }
    }

    #[test]
    fn the_commitment_matches_fixed_vectors() {
        // keccak256(0x00..00 ‖ keccak256("")), and a salt of 0x11 bytes over
        // "ACGT" as `cast keccak` computes it.
        assert_eq!(
            commitment(B256::ZERO, b""),
            keccak256([[0u8; 32].as_slice(), keccak256(b"").as_slice()].concat())
        );
        assert_eq!(
            commitment(B256::repeat_byte(0x11), b"ACGT"),
            b256!("0x0bff12b37e324aeca8ee348d21c97118ccbe35c2f602a9ccd527af6742029f02")
        );
        assert_ne!(commitment(B256::repeat_byte(1), b"x"), commitment(B256::repeat_byte(2), b"x"));
    }

    #[test]
    fn carriers_are_called_genotypes_with_the_allele() {
        let vcf = VCF.as_bytes();
        assert!(carries(vcf, &spec(100, "C", "A")).unwrap());
        assert!(carries(vcf, &spec(200, "G", "C")).unwrap(), "second ALT, homozygous, phased");
        assert!(!carries(vcf, &spec(200, "G", "T")).unwrap());
        assert!(!carries(vcf, &spec(300, "A", "G")).unwrap(), "uncalled");
        assert!(!carries(vcf, &spec(400, "T", "C")).unwrap(), "homozygous reference");
        assert!(!carries(vcf, &spec(500, "T", "C")).unwrap(), "site absent");
        assert!(!carries(vcf, &spec(100, "G", "A")).unwrap(), "other REF");
    }

    #[test]
    fn gzip_is_read_and_bad_files_are_refused() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(VCF.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(carries(&gz, &spec(100, "C", "A")).unwrap());
        assert!(carries(b"hello", &spec(100, "C", "A")).is_err());
        let two = VCF.replace("GT:DP\t0/1:10", "GT:DP\t0/1:10\t0/0:3");
        let err = carries(two.as_bytes(), &spec(100, "C", "A")).unwrap_err().to_string();
        assert!(err.contains("one sample"), "{err}");
        assert!(one_sample(VCF).is_ok());
        let two_header = VCF.replace("\tS1\n", "\tS1\tS2\n");
        let err = one_sample(&two_header).unwrap_err().to_string();
        assert!(err.contains("this VCF holds 2"), "{err}");
        assert!(one_sample("##fileformat=VCFv4.2\n").is_err());
    }

    #[test]
    fn specifications_are_checked() {
        let ok = br#"{"kind":"carrier_count","chrom":"2","pos":10038,"ref":"C","alt":"A"}"#;
        assert_eq!(Spec::parse(ok).unwrap(), spec(10038, "C", "A"));
        assert!(Spec::parse(br#"{"kind":"mean","chrom":"2","pos":1,"ref":"C","alt":"A"}"#).is_err());
        assert!(Spec::parse(
            br#"{"kind":"carrier_count","chrom":"2","pos":0,"ref":"C","alt":"A"}"#
        )
        .is_err());
        assert!(Spec::parse(
            br#"{"kind":"carrier_count","chrom":"2","pos":1,"ref":"C","alt":"<DEL>"}"#
        )
        .is_err());
        assert!(Spec::parse(b"not json").is_err());
    }
}
