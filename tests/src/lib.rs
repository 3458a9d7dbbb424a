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

pub mod story;

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

/// A provider on `url` that signs with the private key `key`.
pub fn connect(url: &str, key: &str) -> eyre::Result<DynProvider> {
    let signer: PrivateKeySigner = key.parse().wrap_err("bad private key")?;
    let url = url.parse().wrap_err_with(|| format!("bad RPC URL {url:?}"))?;
    Ok(strand_client::connect(url, signer))
}

/// A Stylus chain to test against: one this process started, or the one
/// `STRAND_RPC_URL` names.
pub struct Devnet {
    /// JSON-RPC endpoint.
    pub url: String,
    /// What a started arbos-anvil printed (`None` for `STRAND_RPC_URL`).
    pub log: Option<PathBuf>,
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
            return Ok(Some(Self { url, log: None, child: None }));
        }
        let Some(bin) = arbos_anvil() else {
            eprintln!(
                "skipped {test}: no Stylus devnet (arbos-anvil is not on PATH, ANVIL_BIN and \
                 STRAND_RPC_URL are unset)"
            );
            return Ok(None);
        };
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::env::temp_dir().join(format!("strand-arbos-anvil-{port}.log"));
        let file = std::fs::File::create(&log)?;
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", "31337"])
            .args(extra)
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", bin.display()))?;
        let devnet =
            Self { url: format!("http://127.0.0.1:{port}"), log: Some(log), child: Some(child) };
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
        if let Some(log) = &self.log {
            let _ = std::fs::remove_file(log);
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

/// A fresh database for one test on the PostgreSQL that `DATABASE_URL`
/// names (`scripts/test.sh` starts one and sets it). Returns `None`, after
/// one line on stderr, when it is unset.
pub async fn database(test: &str) -> eyre::Result<Option<String>> {
    use sqlx::Connection;
    let Ok(admin) = std::env::var("DATABASE_URL") else {
        eprintln!(
            "skipped {test}: no PostgreSQL (DATABASE_URL is unset; scripts/test.sh starts one)"
        );
        return Ok(None);
    };
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .wrap_err_with(|| format!("cannot connect to DATABASE_URL for {test}"))?;
    let name = format!("t_{}_{}", test.chars().take(40).collect::<String>(), std::process::id())
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Ok(Some(format!("{base}/{name}")))
}

/// Stock anvil from npm (`node_modules/.bin/anvil`), which runs EVM code
/// only: enough for the indexer's tests, which replay the programs' events
/// from a log emitter placed at the programs' addresses.
pub struct StockAnvil {
    /// JSON-RPC endpoint.
    pub url: String,
    child: Child,
}

impl StockAnvil {
    /// Starts stock anvil on a free port, or returns `None` after one line
    /// on stderr when it is not installed.
    pub fn start(test: &str) -> eyre::Result<Option<Self>> {
        let Some(bin) = stock_anvil() else {
            eprintln!("skipped {test}: stock anvil is not installed (npm install; scripts/test.sh does it)");
            return Ok(None);
        };
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", "31337"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .wrap_err("cannot start stock anvil")?;
        let anvil = Self { url: format!("http://127.0.0.1:{port}"), child };
        let start = Instant::now();
        while std::net::TcpStream::connect(anvil.url.trim_start_matches("http://")).is_err() {
            if start.elapsed() > Duration::from_secs(30) {
                bail!("stock anvil did not answer on {}", anvil.url);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Some(anvil))
    }

    /// A provider signing with development key `index`.
    pub fn provider(&self, index: usize) -> eyre::Result<DynProvider> {
        let signer: PrivateKeySigner = DEV_KEYS[index].parse()?;
        Ok(strand_client::connect(self.url.parse()?, signer))
    }
}

/// The platform binary npm installed (`@foundry-rs/anvil-<os>-<arch>`),
/// not `node_modules/.bin/anvil`: that is a Node.js launcher whose child
/// would outlive a kill of the launcher.
fn stock_anvil() -> Option<PathBuf> {
    let scope = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/@foundry-rs");
    let mut found: Vec<PathBuf> = std::fs::read_dir(scope)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("anvil-"))
        .map(|e| e.path().join("bin/anvil"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.into_iter().next()
}

impl Drop for StockAnvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// EVM code that emits whatever log its calldata describes: one byte, the
/// number of topics (0 to 4), then the topics, then the log's data.
pub fn log_emitter() -> Vec<u8> {
    // PUSH1 0 CALLDATALOAD PUSH1 248 SHR: k; copy the calldata to memory 0.
    let mut code = vec![0x60, 0x00, 0x35, 0x60, 0xf8, 0x1c, 0x36, 0x60, 0x00, 0x60, 0x00, 0x37];
    // Dispatch: k == 4, 3, 2, 1 jump to their branches; 0 falls through.
    let dispatch_at = code.len();
    for k in (1..=4u8).rev() {
        code.extend([0x80, 0x60, k, 0x14, 0x61, 0x00, 0x00, 0x57]); // DUP1 PUSH1 k EQ PUSH2 L JUMPI
    }
    let mut targets = Vec::new();
    for k in 0..=4usize {
        if k > 0 {
            targets.push(code.len());
            code.push(0x5b); // JUMPDEST
        }
        for i in (0..k).rev() {
            code.extend([0x60, (1 + 32 * i) as u8, 0x51]); // PUSH1 1+32i MLOAD: topic i
        }
        // off = 1 + 32k; len = CALLDATASIZE - off; LOGk(off, len, topics)
        code.extend([0x60, (1 + 32 * k) as u8, 0x80, 0x36, 0x03, 0x90, 0xa0 + k as u8, 0x00]);
    }
    for (j, k) in (1..=4usize).rev().enumerate() {
        let at = dispatch_at + j * 8 + 5;
        let target = targets[k - 1] as u16;
        code[at..at + 2].copy_from_slice(&target.to_be_bytes());
    }
    code
}

/// Calldata for [`log_emitter`] that emits `log`.
pub fn emit_calldata(log: &alloy::primitives::LogData) -> Vec<u8> {
    let mut data = vec![log.topics().len() as u8];
    for t in log.topics() {
        data.extend_from_slice(t.as_slice());
    }
    data.extend_from_slice(&log.data);
    data
}
