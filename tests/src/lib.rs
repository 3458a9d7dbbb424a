//! Helpers for Strand's end-to-end tests: find or start a Stylus devnet,
//! and deploy the programs built by `scripts/build-contracts.sh`.
//!
//! A test calls [`Devnet::find`]; without a Stylus devnet it gets `None`
//! after one line on stderr saying why, and returns early.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    network::TransactionBuilder,
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::{bail, eyre, WrapErr};

/// The first ten keys of the standard development mnemonic
/// (`test test ... junk`), which anvil and arbos-anvil fund.
pub const DEV_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// A Stylus chain to test against: one this process started, or the one
/// `STRAND_RPC_URL` names.
pub struct Devnet {
    /// JSON-RPC endpoint.
    pub url: String,
    child: Option<Child>,
}

impl Devnet {
    /// Finds a Stylus devnet: `STRAND_RPC_URL` if set, else a fresh
    /// `arbos-anvil` (from `ANVIL_BIN` or PATH) on a free loopback port.
    /// Returns `None`, after saying why on stderr, when there is neither.
    pub fn find(test: &str) -> eyre::Result<Option<Self>> {
        Self::find_with(test, &[])
    }

    /// Like [`Devnet::find`], passing `extra` arguments to a started
    /// arbos-anvil (ignored for `STRAND_RPC_URL`).
    pub fn find_with(test: &str, extra: &[&str]) -> eyre::Result<Option<Self>> {
        if let Ok(url) = std::env::var("STRAND_RPC_URL") {
            return Ok(Some(Self { url, child: None }));
        }
        let Some(bin) = arbos_anvil() else {
            eprintln!(
                "skipped {test}: no Stylus devnet (arbos-anvil is not on PATH, ANVIL_BIN and \
                 STRAND_RPC_URL are unset)"
            );
            return Ok(None);
        };
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", "31337"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", bin.display()))?;
        let devnet = Self { url: format!("http://127.0.0.1:{port}"), child: Some(child) };
        devnet.wait_ready(Duration::from_secs(30))?;
        Ok(Some(devnet))
    }

    /// Polls `eth_chainId` until the node answers or `limit` passes.
    fn wait_ready(&self, limit: Duration) -> eyre::Result<()> {
        let start = Instant::now();
        let addr = self.url.trim_start_matches("http://").to_string();
        while start.elapsed() < limit {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("arbos-anvil did not answer on {} within {limit:?}", self.url)
    }

    /// The address of development key `index`.
    pub fn address(&self, index: usize) -> Address {
        DEV_KEYS[index].parse::<PrivateKeySigner>().expect("valid key").address()
    }

    /// A provider that signs with development key `index`.
    pub fn provider(&self, index: usize) -> eyre::Result<DynProvider> {
        let signer: PrivateKeySigner = DEV_KEYS[index].parse()?;
        let url = self.url.parse().wrap_err("bad RPC URL")?;
        Ok(strand_client::connect(url, signer))
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn arbos_anvil() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("ANVIL_BIN") {
        return Some(PathBuf::from(bin));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("arbos-anvil")).find(|p| p.is_file())
}

/// The deployable WASM of `program` (`gene`, `staking`), as
/// `scripts/build-contracts.sh` writes it.
pub fn artifact(program: &str) -> eyre::Result<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/artifacts")
        .join(format!("{program}.wasm"));
    std::fs::read(&path).wrap_err_with(|| {
        format!("cannot read {}: run scripts/build-contracts.sh first", path.display())
    })
}

/// Deploys `wasm` as a Stylus program with Strand's init code (deployer in
/// slot 0) and returns its address.
pub async fn deploy(provider: &DynProvider, wasm: &[u8]) -> eyre::Result<Address> {
    let code = strand_stylus::program_code(wasm)?;
    let tx = TransactionRequest::default().with_deploy_code(strand_stylus::init_code(&code));
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        bail!("deployment reverted in {}", receipt.transaction_hash);
    }
    receipt.contract_address.ok_or_else(|| eyre!("deployment receipt has no contract address"))
}

pub use strand_client::Confirm;
