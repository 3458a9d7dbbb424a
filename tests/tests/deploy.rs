//! Deployment on a chain that, like a Nitro node, runs a Stylus program
//! only after it is activated through ArbWasm: arbos-anvil started with
//! `--stylus-disable-auto-activate`. Every program must be activated by the
//! deployment itself, answer calls afterwards, and a second deployment
//! against the same chain must reuse the first. Skipped, with one line
//! saying why, without arbos-anvil (a chain named by `STRAND_RPC_URL` is
//! not ours to start with that flag).

use std::path::Path;

use alloy::providers::Provider;
use strand_bindings::{datasets::IDatasets, gene::IGene, ledger::ILedger, staking::IStaking};
use strand_client::{
    arbwasm,
    deploy::{self, Artifacts, Settings},
};
use strand_e2e::Devnet;

#[tokio::test]
async fn deployment_activates_every_program_where_the_chain_does_not() -> eyre::Result<()> {
    let test = "deployment_activates_every_program_where_the_chain_does_not";
    if std::env::var_os("STRAND_RPC_URL").is_some() {
        eprintln!("skipped {test}: STRAND_RPC_URL names a chain this test cannot start with --stylus-disable-auto-activate");
        return Ok(());
    }
    let Some(devnet) = Devnet::find_with(test, &["--stylus-disable-auto-activate"])? else {
        return Ok(());
    };
    let admin = devnet.provider(0)?;
    let deployer = devnet.address(0);
    let artifacts =
        Artifacts::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/artifacts"))?;
    let settings = Settings::devnet(deployer, deployer);

    let mut steps = Vec::new();
    let (manifest, fresh) =
        deploy::deploy(&admin, deployer, &artifacts, &settings, None, false, |p| {
            steps.push(format!("{p:?}"))
        })
        .await?;
    assert!(fresh);
    for (name, d) in manifest.programs.iter() {
        assert!(d.activation_tx.is_some(), "{name} was deployed without being activated");
        assert!(arbwasm::is_active(&admin, d.address).await?, "{name} is not active");
        let receipt = admin.get_transaction_receipt(d.activation_tx.unwrap()).await?.unwrap();
        assert!(receipt.status(), "{name}'s activation reverted");
    }
    assert!(steps.iter().filter(|s| s.contains("activate")).count() >= 4, "{steps:?}");

    // The programs run: initialised, wired, and answering calls.
    let p = &manifest.programs;
    assert_eq!(IGene::new(p.gene.address, &admin).symbol().call().await?, "GENE");
    assert_eq!(
        IGene::new(p.gene.address, &admin).balanceOf(deployer).call().await?,
        settings.initial_supply
    );
    assert_eq!(IStaking::new(p.staking.address, &admin).owner().call().await?, deployer);
    let roles = ILedger::new(p.ledger.address, &admin).roles().call().await?;
    assert_eq!((roles._0, roles._1), (p.gene.address, p.staking.address));
    assert_eq!(IDatasets::new(p.datasets.address, &admin).count().call().await?, 0);

    // A second run finds the same code on chain and changes nothing.
    let block = admin.get_block_number().await?;
    let (again, fresh) =
        deploy::deploy(&admin, deployer, &artifacts, &settings, Some(&manifest), false, |_| {})
            .await?;
    assert!(!fresh);
    assert_eq!(again, manifest);
    assert_eq!(admin.get_block_number().await?, block, "reuse sends no transaction");
    Ok(())
}
