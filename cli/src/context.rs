//! Global options and what they resolve to: the RPC endpoint, the
//! deployment manifest, the signing account, local state.

use std::path::{Path, PathBuf};

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use eyre::{bail, eyre, WrapErr};
use strand_client::deploy::Manifest;

/// The devnet's endpoint (`scripts/devnet.sh up`), when nothing else says.
pub(crate) const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8547";

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub(crate) struct Global {
    /// JSON-RPC endpoint [default: STRAND_RPC_URL, else `eth_rpc_url` in ./foundry.toml, else
    /// http://127.0.0.1:8547]
    #[arg(long, global = true, env = "STRAND_RPC_URL", value_name = "URL")]
    pub(crate) rpc_url: Option<String>,
    /// Deployment manifest [default: deployments/<chain-id>.json]
    #[arg(long, global = true, env = "STRAND_DEPLOYMENT", value_name = "FILE")]
    pub(crate) deployment: Option<PathBuf>,
    /// Sign with this Web3 Secret Storage keystore file
    #[arg(
        long,
        global = true,
        env = "STRAND_KEYSTORE",
        value_name = "FILE",
        conflicts_with = "account"
    )]
    pub(crate) keystore: Option<PathBuf>,
    /// Sign with the keystore of this name in the keystore folder (see `strand wallet list`)
    #[arg(long, global = true, env = "STRAND_ACCOUNT", value_name = "NAME")]
    pub(crate) account: Option<String>,
    /// Print one JSON document instead of text
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Indexer API for listings [default: STRAND_INDEXER_URL; without one, listings read
    /// chain logs]
    #[arg(long, global = true, env = "STRAND_INDEXER_URL", value_name = "URL")]
    pub(crate) indexer_url: Option<String>,
}

impl Global {
    /// The endpoint: the option, the environment, foundry.toml, the devnet.
    pub(crate) fn rpc_url(&self) -> eyre::Result<String> {
        if let Some(url) = &self.rpc_url {
            return Ok(url.clone());
        }
        if let Some(url) = foundry_rpc_url(Path::new("foundry.toml"))? {
            return Ok(url);
        }
        Ok(DEFAULT_RPC_URL.into())
    }

    /// A read-only provider and the chain id, which also proves the
    /// endpoint answers.
    pub(crate) async fn reader(&self) -> eyre::Result<(DynProvider, u64, String)> {
        let url = self.rpc_url()?;
        let parsed =
            url.parse().map_err(|_| eyre!("bad RPC URL {url:?}: expected http://host:port"))?;
        let provider = ProviderBuilder::new().connect_http(parsed).erased();
        let chain_id = provider.get_chain_id().await.map_err(|_| {
            eyre!(
                "cannot reach the RPC endpoint {url}: start the devnet (scripts/devnet.sh up) or \
                 pass --rpc-url"
            )
        })?;
        Ok((provider, chain_id, url))
    }

    /// The deployment manifest for `chain_id`, checked against it.
    pub(crate) fn manifest(&self, chain_id: u64) -> eyre::Result<Manifest> {
        let path = self.manifest_path(chain_id);
        let manifest = Manifest::read(&path)?;
        manifest.check_chain(chain_id, &path)?;
        Ok(manifest)
    }

    pub(crate) fn manifest_path(&self, chain_id: u64) -> PathBuf {
        self.deployment
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("deployments/{chain_id}.json")))
    }

    /// The signing account: `--keystore`, `--account` or
    /// `STRAND_PRIVATE_KEY`, in that order.
    pub(crate) fn signer(&self) -> eyre::Result<PrivateKeySigner> {
        if let Some(path) = &self.keystore {
            return unlock(path);
        }
        if let Some(name) = &self.account {
            return unlock(&keystore_dir().join(name));
        }
        if let Ok(key) = std::env::var("STRAND_PRIVATE_KEY") {
            return key
                .trim()
                .parse()
                .map_err(|_| eyre!("STRAND_PRIVATE_KEY is not a 32-byte hex private key"));
        }
        bail!(
            "this command signs a transaction: pass --account NAME (see `strand wallet list`), \
             --keystore FILE, or set STRAND_PRIVATE_KEY"
        )
    }

    /// The account commands act for: the signer's address.
    pub(crate) fn address(&self) -> eyre::Result<Address> {
        Ok(self.signer()?.address())
    }

    /// Everything a command that reads and writes the deployment needs.
    pub(crate) async fn session(&self) -> eyre::Result<Session> {
        let (reader, chain_id, url) = self.reader().await?;
        let manifest = self.manifest(chain_id)?;
        let signer = self.signer()?;
        let address = signer.address();
        let parsed = url.parse().map_err(|_| eyre!("bad RPC URL {url:?}"))?;
        let provider = strand_client::connect(parsed, signer);
        Ok(Session { reader, provider, chain_id, manifest, address })
    }

    /// A session that only reads.
    pub(crate) async fn view(&self) -> eyre::Result<View> {
        let (provider, chain_id, _) = self.reader().await?;
        let manifest = self.manifest(chain_id)?;
        Ok(View { provider, manifest })
    }
}

/// A signing session on one deployment.
pub(crate) struct Session {
    /// Reads without signing.
    pub(crate) reader: DynProvider,
    /// Signs as `address`.
    pub(crate) provider: DynProvider,
    pub(crate) chain_id: u64,
    pub(crate) manifest: Manifest,
    pub(crate) address: Address,
}

/// A read-only session on one deployment.
pub(crate) struct View {
    pub(crate) provider: DynProvider,
    pub(crate) manifest: Manifest,
}

/// Decrypts a keystore with `STRAND_PASSWORD` or a prompted password.
fn unlock(path: &Path) -> eyre::Result<PrivateKeySigner> {
    if !path.is_file() {
        bail!("no keystore at {}: create one with `strand wallet new NAME`", path.display());
    }
    let password = password(&format!("password for {}: ", path.display()))?;
    unlock_with(path, &password)
}

fn unlock_with(path: &Path, password: &str) -> eyre::Result<PrivateKeySigner> {
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| match e {
        alloy::signers::local::LocalSignerError::EthKeystoreError(
            eth_keystore::KeystoreError::MacMismatch,
        ) => eyre!("wrong password for keystore {}", path.display()),
        e => eyre!("cannot read keystore {}: {e}", path.display()),
    })
}

/// `STRAND_PASSWORD`, or a prompt on the terminal.
pub(crate) fn password(prompt: &str) -> eyre::Result<String> {
    if let Ok(p) = std::env::var("STRAND_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password(prompt)
        .wrap_err("no password: set STRAND_PASSWORD or run in a terminal")
}

/// Where Strand keeps local state: `STRAND_HOME`, else `~/.strand`.
/// Creates `dir` and its parents; a folder this creates is its owner's
/// alone (salts, keys, keystores, an operator's vault live in them).
pub(crate) fn private_dir(dir: &Path) -> eyre::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    Ok(())
}

/// Writes `contents` to `path`, readable and writable by its owner only.
pub(crate) fn write_private(path: &Path, contents: impl AsRef<[u8]>) -> eyre::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode through open: narrow it too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents.as_ref()).wrap_err_with(|| format!("cannot write {}", path.display()))
}

pub(crate) fn home() -> PathBuf {
    if let Some(dir) = std::env::var_os("STRAND_HOME") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".strand")
}

/// Keystores: `STRAND_KEYSTORE_DIR`, else `<home>/keystores`.
pub(crate) fn keystore_dir() -> PathBuf {
    std::env::var_os("STRAND_KEYSTORE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join("keystores"))
}

/// `eth_rpc_url` of the default profile of a foundry.toml, if it has one.
fn foundry_rpc_url(path: &Path) -> eyre::Result<Option<String>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let doc: toml::Table =
        text.parse().wrap_err_with(|| format!("{} is not valid TOML", path.display()))?;
    Ok(doc
        .get("profile")
        .and_then(|p| p.get("default"))
        .and_then(|d| d.get("eth_rpc_url"))
        .and_then(|u| u.as_str())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keystore_opens_with_its_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKeySigner::random();
        PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand::thread_rng(),
            key.to_bytes(),
            "pw",
            Some("k"),
        )
        .unwrap();
        let path = dir.path().join("k");
        assert_eq!(unlock_with(&path, "pw").unwrap().address(), key.address());
        let err = unlock_with(&path, "wrong").unwrap_err().to_string();
        assert_eq!(err, format!("wrong password for keystore {}", path.display()));
        // Web3 Secret Storage, as cast reads it: version 3, scrypt, address.
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["version"], 3);
        assert_eq!(doc["crypto"]["kdf"], "scrypt");
    }

    #[test]
    fn foundry_toml_gives_the_default_profile_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foundry.toml");
        std::fs::write(&path, "[profile.default]\neth_rpc_url = \"http://10.0.0.1:8547\"\n")
            .unwrap();
        assert_eq!(foundry_rpc_url(&path).unwrap().as_deref(), Some("http://10.0.0.1:8547"));
        std::fs::write(&path, "[profile.default]\nsrc = \"src\"\n").unwrap();
        assert_eq!(foundry_rpc_url(&path).unwrap(), None);
        assert_eq!(foundry_rpc_url(&dir.path().join("missing.toml")).unwrap(), None);
        std::fs::write(&path, "[profile.default\n").unwrap();
        assert!(foundry_rpc_url(&path).is_err());
    }
}
