//! Deploying Strand's four programs and recording where they went.
//!
//! Order and wiring: GENE names the staking program as its only minter, so
//! staking's address must exist first; all four are deployed, then
//! initialised GENE → staking → ledger, and staking is told which ledger
//! may slash. Each program's `initialize` accepts only the account that
//! deployed it (see `strand_stylus::init_code`), so nobody can step in
//! between deployment and initialisation.
//!
//! Code format and activation: `strand-stylus` writes the Stylus prefix and
//! brotli stream itself and activation is one ArbWasm call, so Offchain
//! Labs' `stylus-tools` crate (which pulls in wasmer to check programs
//! locally) would add a large build for a few dozen lines saved.

use std::path::Path;

use alloy::{
    primitives::{keccak256, utils::parse_ether, Address, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
};
use eyre::{bail, eyre, WrapErr};
use serde::{Deserialize, Serialize};
use strand_bindings::{gene::IGene, ledger::ILedger, staking::IStaking};

use crate::{arbwasm, Confirm};

/// The four programs, in deployment order.
pub const PROGRAMS: [&str; 4] = ["gene", "staking", "datasets", "ledger"];

/// The WASM of each program, as `scripts/build-contracts.sh` writes it.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// GENE token.
    pub gene: Vec<u8>,
    /// Operator staking.
    pub staking: Vec<u8>,
    /// Dataset registry.
    pub datasets: Vec<u8>,
    /// Consent ledger.
    pub ledger: Vec<u8>,
}

impl Artifacts {
    /// Reads `<dir>/<program>.wasm` for the four programs.
    pub fn read(dir: &Path) -> eyre::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(format!("{name}.wasm"));
            std::fs::read(&path).wrap_err_with(|| {
                format!(
                    "cannot read {}: build the programs with scripts/build-contracts.sh",
                    path.display()
                )
            })
        };
        Ok(Self {
            gene: read("gene")?,
            staking: read("staking")?,
            datasets: read("datasets")?,
            ledger: read("ledger")?,
        })
    }

    fn get(&self, name: &str) -> &[u8] {
        match name {
            "gene" => &self.gene,
            "staking" => &self.staking,
            "datasets" => &self.datasets,
            _ => &self.ledger,
        }
    }
}

/// What a deployment sets at initialisation. [`Settings::devnet`] gives
/// the values the README and the demo use.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Judges disputes and may slash and unjail.
    pub arbiter: Address,
    /// Receives the protocol's fee.
    pub treasury: Address,
    /// GENE's supply cap (wei).
    pub cap: U256,
    /// GENE minted to the deployer at initialisation (wei).
    pub initial_supply: U256,
    /// Stake an operator needs to take queries (wei).
    pub min_stake: U256,
    /// Seconds between an unstake request and the withdrawal.
    pub unbonding_period: u64,
    /// Seconds a dispute may take from a result to its judgement.
    pub dispute_horizon: u64,
    /// GENE emitted to stakers per second (wei).
    pub reward_rate: U256,
    /// Share of a slashed operator's stake taken, in basis points.
    pub slash_bps: u64,
    /// Share of a slash paid to the challenger, in basis points.
    pub challenger_bps: u64,
    /// Operator's fee on rewards, in basis points.
    pub operator_fee_bps: u64,
    /// Protocol's fee on rewards, in basis points.
    pub protocol_fee_bps: u64,
    /// Smallest escrow a query may have (wei).
    pub min_escrow: U256,
    /// Bond a challenger posts (wei).
    pub challenge_bond: U256,
    /// Seconds after a result during which it may be challenged.
    pub challenge_window: u64,
    /// Seconds the arbiter has to judge a dispute.
    pub arbitration_window: u64,
}

impl Settings {
    /// Devnet values: 100M GENE cap, 10M to the deployer, 1,000 GENE
    /// minimum stake, 14-day unbonding, 7-day dispute horizon, 0.01 GENE/s
    /// emissions, 10% slashes half of which go to the challenger, 5%
    /// operator and 1% protocol fees, 1 GENE minimum escrow, 10 GENE bond,
    /// one day to challenge and two to judge.
    pub fn devnet(arbiter: Address, treasury: Address) -> Self {
        let gene = |n: &str| parse_ether(n).expect("literal amount");
        Self {
            arbiter,
            treasury,
            cap: gene("100000000"),
            initial_supply: gene("10000000"),
            min_stake: gene("1000"),
            unbonding_period: 14 * DAY,
            dispute_horizon: 7 * DAY,
            reward_rate: gene("0.01"),
            slash_bps: 1_000,
            challenger_bps: 5_000,
            operator_fee_bps: 500,
            protocol_fee_bps: 100,
            min_escrow: gene("1"),
            challenge_bond: gene("10"),
            challenge_window: DAY,
            arbitration_window: 2 * DAY,
        }
    }
}

const DAY: u64 = 24 * 3600;

/// Where one program went.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    /// Program address.
    pub address: Address,
    /// Block of the deployment.
    pub block: u64,
    /// Deployment transaction.
    pub tx_hash: B256,
    /// keccak-256 of the code on chain (Stylus prefix + brotli WASM).
    pub code_hash: B256,
    /// ArbWasm activation transaction, on chains that needed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_tx: Option<B256>,
}

/// The four programs of one deployment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Programs {
    /// GENE token.
    pub gene: Deployed,
    /// Operator staking.
    pub staking: Deployed,
    /// Dataset registry.
    pub datasets: Deployed,
    /// Consent ledger.
    pub ledger: Deployed,
}

impl Programs {
    /// The programs with their names, in deployment order.
    pub fn iter(&self) -> [(&'static str, &Deployed); 4] {
        [
            ("gene", &self.gene),
            ("staking", &self.staking),
            ("datasets", &self.datasets),
            ("ledger", &self.ledger),
        ]
    }

    /// The block the earliest program was deployed in.
    pub fn first_block(&self) -> u64 {
        self.iter().iter().map(|(_, d)| d.block).min().unwrap_or(0)
    }
}

/// `deployments/<chain-id>.json`: everything a client or the indexer needs
/// to find a deployment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Chain the programs live on.
    pub chain_id: u64,
    /// Account that deployed and initialised them.
    pub deployer: Address,
    /// Addresses, blocks, transactions and code hashes.
    pub programs: Programs,
    /// What initialisation set.
    pub settings: Settings,
}

impl Manifest {
    /// Reads a manifest, saying which file is missing or malformed.
    pub fn read(path: &Path) -> eyre::Result<Self> {
        let text = std::fs::read_to_string(path).wrap_err_with(|| {
            format!("cannot read deployment manifest {}: run `strand deploy` first", path.display())
        })?;
        serde_json::from_str(&text)
            .wrap_err_with(|| format!("{} is not a Strand deployment manifest", path.display()))
    }

    /// Writes the manifest atomically (a temporary file renamed over the
    /// old one), so a crash never leaves half a manifest.
    pub fn write(&self, path: &Path) -> eyre::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(&tmp, text).wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path).wrap_err_with(|| format!("cannot write {}", path.display()))
    }

    /// Fails unless the manifest is for `chain_id`.
    pub fn check_chain(&self, chain_id: u64, path: &Path) -> eyre::Result<()> {
        if self.chain_id != chain_id {
            bail!(
                "{} is for chain {}, but the RPC endpoint serves chain {chain_id}: pass the \
                 manifest of this chain with --deployment, or point --rpc-url at chain {}",
                path.display(),
                self.chain_id,
                self.chain_id
            );
        }
        Ok(())
    }
}

/// What [`deploy`] is doing, for a progress display.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Sending a transaction; its receipt is awaited next.
    Sending(String),
    /// The transaction of the last `Sending` was mined.
    Done(String),
}

/// Deploys, activates where needed, initialises and wires the programs
/// from `provider`, which signs as `deployer`. With `existing` (a manifest of this chain)
/// whose programs are on chain with exactly the artifacts' code, returns
/// it unchanged and `false` unless `redeploy`; otherwise a new manifest
/// and `true`.
pub async fn deploy(
    provider: &DynProvider,
    deployer: Address,
    artifacts: &Artifacts,
    settings: &Settings,
    existing: Option<&Manifest>,
    redeploy: bool,
    mut progress: impl FnMut(Progress),
) -> eyre::Result<(Manifest, bool)> {
    let chain_id = provider.get_chain_id().await.wrap_err("cannot reach the RPC endpoint")?;
    arbwasm::ensure_stylus(provider).await?;
    let code = |name: &str| -> eyre::Result<Vec<u8>> {
        strand_stylus::program_code(artifacts.get(name))
            .wrap_err_with(|| format!("{name}.wasm cannot be deployed"))
    };

    if let Some(m) = existing.filter(|_| !redeploy) {
        if m.chain_id == chain_id && matches_chain(provider, m, artifacts).await? {
            return Ok((m.clone(), false));
        }
    }

    let mut deployed = Vec::new();
    for name in PROGRAMS {
        let code = code(name)?;
        progress(Progress::Sending(format!("deploy {name} ({} bytes)", code.len())));
        let receipt =
            send_deploy(provider, &code).await.wrap_err_with(|| format!("deploying {name}"))?;
        let address = receipt.contract_address.ok_or_else(|| eyre!("no address for {name}"))?;
        let mut program = Deployed {
            address,
            block: receipt.block_number.unwrap_or_default(),
            tx_hash: receipt.transaction_hash,
            code_hash: keccak256(&code),
            activation_tx: None,
        };
        progress(Progress::Done(format!(
            "{name} at {address}, block {}, {} gas",
            program.block, receipt.gas_used
        )));
        if !arbwasm::is_active(provider, address).await? {
            progress(Progress::Sending(format!("activate {name}")));
            let receipt = arbwasm::activate(provider, address)
                .await
                .wrap_err_with(|| format!("activating {name}"))?;
            program.activation_tx = Some(receipt.transaction_hash);
            progress(Progress::Done(format!("{name} activated, {} gas", receipt.gas_used)));
        }
        deployed.push(program);
    }
    let programs = Programs {
        gene: deployed[0].clone(),
        staking: deployed[1].clone(),
        datasets: deployed[2].clone(),
        ledger: deployed[3].clone(),
    };
    initialise(provider, &programs, settings, &mut progress).await?;
    Ok((Manifest { chain_id, deployer, programs, settings: settings.clone() }, true))
}

async fn send_deploy(provider: &DynProvider, code: &[u8]) -> eyre::Result<TransactionReceipt> {
    use alloy::{network::TransactionBuilder, rpc::types::TransactionRequest};
    let tx = TransactionRequest::default().with_deploy_code(strand_stylus::init_code(code));
    provider.send_transaction(tx).await?.confirmed().await
}

async fn initialise(
    provider: &DynProvider,
    p: &Programs,
    s: &Settings,
    progress: &mut impl FnMut(Progress),
) -> eyre::Result<()> {
    let gene = IGene::new(p.gene.address, provider);
    let staking = IStaking::new(p.staking.address, provider);
    let ledger = ILedger::new(p.ledger.address, provider);
    let bps = U256::from;

    progress(Progress::Sending("initialise gene (minter: staking)".into()));
    let call = gene.initialize(
        "Strand GENE".into(),
        "GENE".into(),
        s.cap,
        s.initial_supply,
        p.staking.address,
    );
    call.send().await.wrap_err("initialising gene")?.confirmed().await?;
    progress(Progress::Done("gene initialised".into()));

    progress(Progress::Sending("initialise staking".into()));
    let call = staking.initialize(
        p.gene.address,
        s.arbiter,
        s.min_stake,
        s.unbonding_period,
        s.dispute_horizon,
        s.reward_rate,
        bps(s.slash_bps),
        bps(s.challenger_bps),
    );
    call.send().await.wrap_err("initialising staking")?.confirmed().await?;
    progress(Progress::Done("staking initialised".into()));

    progress(Progress::Sending("let the ledger slash".into()));
    staking
        .setLedger(p.ledger.address)
        .send()
        .await
        .wrap_err("wiring staking")?
        .confirmed()
        .await?;
    progress(Progress::Done("staking accepts slashes from the ledger".into()));

    progress(Progress::Sending("initialise ledger".into()));
    let call = ledger.initialize(
        p.gene.address,
        p.staking.address,
        p.datasets.address,
        s.arbiter,
        s.treasury,
        bps(s.operator_fee_bps),
        bps(s.protocol_fee_bps),
        s.min_escrow,
        s.challenge_bond,
        s.challenge_window,
        s.arbitration_window,
    );
    call.send().await.wrap_err("initialising ledger")?.confirmed().await?;
    progress(Progress::Done("ledger initialised".into()));
    Ok(())
}

/// Whether every program of `m` is on chain with the artifacts' code and
/// the ledger is wired to this GENE and staking.
async fn matches_chain(
    provider: &DynProvider,
    m: &Manifest,
    artifacts: &Artifacts,
) -> eyre::Result<bool> {
    for (name, d) in m.programs.iter() {
        let expected = keccak256(strand_stylus::program_code(artifacts.get(name))?);
        if d.code_hash != expected {
            return Ok(false);
        }
        let on_chain = provider.get_code_at(d.address).await?;
        if keccak256(&on_chain) != expected {
            return Ok(false);
        }
    }
    let roles = ILedger::new(m.programs.ledger.address, provider).roles().call().await;
    Ok(roles.is_ok_and(|r| r._0 == m.programs.gene.address && r._1 == m.programs.staking.address))
}
