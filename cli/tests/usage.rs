//! What `strand` says about a bad command line or bad input before it
//! reaches any node: no chain needed (the RPC URL points nowhere).

use std::process::{Command, Output};

fn strand(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strand"))
        .args(args)
        .env("STRAND_HOME", home)
        .env("STRAND_RPC_URL", "http://127.0.0.1:9")
        .env_remove("STRAND_PRIVATE_KEY")
        .output()
        .expect("strand runs")
}

#[test]
fn a_refused_command_line_is_json_under_json_too() {
    let home = tempfile::tempdir().unwrap();
    let out = strand(home.path(), &["--json", "token", "balance", "0xZZ"]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["code"], "usage");
    let error = doc["error"].as_str().unwrap();
    assert!(error.contains("expected 0x and 40 hex digits"), "{error}");
    // Without --json: clap's text on stderr, nothing on stdout.
    let out = strand(home.path(), &["token", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand 'bogus'"));
}

#[test]
fn a_mistyped_checksummed_address_is_refused_before_anything_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    let out = strand(home.path(), &["token", "transfer", typo, "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{typo} has a wrong checksum")), "{err}");
}

#[test]
fn a_multi_sample_vcf_or_an_unusable_vault_is_refused_before_registering() {
    let home = tempfile::tempdir().unwrap();
    let vcf = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/1kg.vcf.gz");
    let op = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    let out = strand(home.path(), &["owner", "register", vcf, "--operator", op]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a dataset must hold one sample; this VCF holds 629"), "{err}");

    let one = home.path().join("one.vcf");
    std::fs::write(
        &one,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n2\t1\t.\tC\tA\t.\tPASS\t.\tGT\t0/1\n",
    )
    .unwrap();
    let not_a_folder = home.path().join("file");
    std::fs::write(&not_a_folder, "x").unwrap();
    let out = strand(
        home.path(),
        &[
            "owner",
            "register",
            one.to_str().unwrap(),
            "--operator",
            op,
            "--vault",
            not_a_folder.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // Refused at the vault, before the node (which does not exist) is asked.
    assert!(err.contains(&format!("cannot create {}", not_a_folder.display())), "{err}");
}

#[test]
fn keystores_are_their_owners_alone_and_list_their_address() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_strand"))
        .args(["--json", "wallet", "new", "alice"])
        .env("STRAND_HOME", home.path())
        .env("STRAND_PASSWORD", "correct horse")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = std::path::PathBuf::from(made["keystore"].as_str().unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let out = strand(home.path(), &["--json", "wallet", "list"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = listed.to_string();
    let address = made["address"].as_str().unwrap().to_lowercase();
    assert!(text.to_lowercase().contains(&address), "{listed}");
}
