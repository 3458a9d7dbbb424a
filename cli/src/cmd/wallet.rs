//! `strand wallet`: Web3 Secret Storage keystores, readable by cast.

use alloy::signers::local::PrivateKeySigner;
use eyre::{bail, eyre, WrapErr};
use serde_json::json;

use crate::{
    context::{keystore_dir, password, Global},
    output::Out,
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a new account in an encrypted keystore.
    ///
    /// The password comes from STRAND_PASSWORD or a prompt. Keystores live in
    /// ~/.strand/keystores (STRAND_KEYSTORE_DIR to change it).
    ///
    /// Example:
    ///   strand wallet new alice
    #[command(verbatim_doc_comment)]
    New {
        /// Name of the account (the keystore's file name)
        name: String,
    },
    /// Import a private key into an encrypted keystore.
    ///
    /// The key is read from STRAND_PRIVATE_KEY or a hidden prompt, never from
    /// the command line.
    ///
    /// Example:
    ///   strand wallet import operator
    #[command(verbatim_doc_comment)]
    Import {
        /// Name of the account
        name: String,
    },
    /// List the accounts in the keystore folder.
    ///
    /// Example:
    ///   strand wallet list
    #[command(verbatim_doc_comment)]
    List,
    /// Show the address of an account.
    ///
    /// Example:
    ///   strand --account alice wallet address
    #[command(verbatim_doc_comment)]
    Address,
}

pub(crate) fn run(g: &Global, out: &Out, c: Command) -> eyre::Result<()> {
    let dir = keystore_dir();
    match c {
        Command::New { name } => {
            let path = fresh_path(&name)?;
            let pass = new_password()?;
            let (signer, _) =
                PrivateKeySigner::new_keystore(&dir, &mut rand::thread_rng(), pass, Some(&name))
                    .map_err(|e| eyre!("cannot write keystore {}: {e}", path.display()))?;
            finish_keystore(&path, signer.address())?;
            out.emit(
                format!("created {name}: {}\nkeystore {}", signer.address(), path.display()),
                json!({ "name": name, "address": signer.address(), "keystore": path }),
            );
        }
        Command::Import { name } => {
            let path = fresh_path(&name)?;
            let key = match std::env::var("STRAND_PRIVATE_KEY") {
                Ok(k) => k,
                Err(_) => rpassword::prompt_password("private key (hex): ")
                    .wrap_err("no key: set STRAND_PRIVATE_KEY or run in a terminal")?,
            };
            let signer: PrivateKeySigner =
                key.trim().parse().map_err(|_| eyre!("not a 32-byte hex private key"))?;
            let pass = new_password()?;
            PrivateKeySigner::encrypt_keystore(
                &dir,
                &mut rand::thread_rng(),
                signer.to_bytes(),
                pass,
                Some(&name),
            )
            .map_err(|e| eyre!("cannot write keystore {}: {e}", path.display()))?;
            finish_keystore(&path, signer.address())?;
            out.emit(
                format!("imported {name}: {}\nkeystore {}", signer.address(), path.display()),
                json!({ "name": name, "address": signer.address(), "keystore": path }),
            );
        }
        Command::List => {
            let mut names = Vec::new();
            if dir.is_dir() {
                for entry in std::fs::read_dir(&dir)
                    .wrap_err_with(|| format!("cannot list {}", dir.display()))?
                {
                    let entry = entry?;
                    let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    let address =
                        serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| {
                            v.get("address").and_then(|a| a.as_str()).map(|a| format!("0x{a}"))
                        });
                    names.push((entry.file_name().to_string_lossy().into_owned(), address));
                }
            }
            names.sort();
            let text = if names.is_empty() {
                format!(
                    "no accounts in {}: create one with `strand wallet new NAME`",
                    dir.display()
                )
            } else {
                names
                    .iter()
                    .map(|(n, a)| format!("{n:<16} {}\n", a.as_deref().unwrap_or("?")))
                    .collect()
            };
            let doc: Vec<_> =
                names.iter().map(|(n, a)| json!({ "name": n, "address": a })).collect();
            out.emit(text, json!({ "keystores": dir, "accounts": doc }));
        }
        Command::Address => {
            let address = g.address()?;
            out.emit(address.to_string(), json!({ "address": address }));
        }
    }
    Ok(())
}

/// Adds the account's address to a keystore just written (Web3 Secret
/// Storage allows it; `wallet list` and other tools read it without the
/// password) and leaves the file readable by its owner only.
fn finish_keystore(
    path: &std::path::Path,
    address: alloy::primitives::Address,
) -> eyre::Result<()> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read keystore {}", path.display()))?;
    let mut doc: serde_json::Value = serde_json::from_str(&text)?;
    doc["address"] = alloy::hex::encode(address).into();
    crate::context::write_private(path, serde_json::to_string(&doc)?)
}

fn fresh_path(name: &str) -> eyre::Result<std::path::PathBuf> {
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        bail!("bad account name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    let dir = keystore_dir();
    crate::context::private_dir(&dir)?;
    let path = dir.join(name);
    if path.exists() {
        bail!("an account named {name} exists already ({})", path.display());
    }
    Ok(path)
}

fn new_password() -> eyre::Result<String> {
    if let Ok(p) = std::env::var("STRAND_PASSWORD") {
        return Ok(p);
    }
    let first = password("new password: ")?;
    let again = password("again: ")?;
    if first != again {
        bail!("the passwords differ");
    }
    Ok(first)
}
