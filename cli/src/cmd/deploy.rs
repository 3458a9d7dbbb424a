//! `strand deploy`.

use std::path::PathBuf;

use alloy::primitives::Address;
use serde_json::json;
use strand_client::deploy::{self, Artifacts, Manifest, Progress, Settings};

use crate::{context::Global, output::Out};

/// Deploy the four programs to the chain, activate and initialise them,
/// and write deployments/<chain-id>.json.
///
/// A manifest for the chain whose programs are on chain with exactly the
/// built code is reused, unless --redeploy. Settings are the devnet's (see
/// the README); the deploying account is the owner, and the arbiter and
/// treasury unless named.
///
/// Example:
///   export STRAND_PRIVATE_KEY=0x…   # the deployer's key (the README has devnet's)
///   strand deploy --artifacts contracts/artifacts
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Folder with gene.wasm, staking.wasm, datasets.wasm, ledger.wasm
    #[arg(long, value_name = "DIR", default_value = "contracts/artifacts")]
    artifacts: PathBuf,
    /// Arbiter account [default: the deployer]
    #[arg(long, value_name = "ADDRESS", value_parser = crate::cmd::parse_address)]
    arbiter: Option<Address>,
    /// Treasury account for protocol fees [default: the deployer]
    #[arg(long, value_name = "ADDRESS", value_parser = crate::cmd::parse_address)]
    treasury: Option<Address>,
    /// Deploy anew even when the manifest's programs are on chain
    #[arg(long)]
    redeploy: bool,
}

pub(crate) async fn run(g: &Global, out: &Out, args: Args) -> eyre::Result<()> {
    let artifacts = Artifacts::read(&args.artifacts)?;
    let (_, chain_id, url) = g.reader().await?;
    let signer = g.signer()?;
    let deployer = signer.address();
    let path = g.manifest_path(chain_id);
    let existing = if path.exists() { Some(Manifest::read(&path)?) } else { None };
    let settings =
        Settings::devnet(args.arbiter.unwrap_or(deployer), args.treasury.unwrap_or(deployer));
    let provider = strand_client::connect(url.parse()?, signer);
    let bar = std::cell::RefCell::new(None);
    let result = deploy::deploy(
        &provider,
        deployer,
        &artifacts,
        &settings,
        existing.as_ref(),
        args.redeploy,
        |p| match p {
            Progress::Sending(what) => *bar.borrow_mut() = Some(out.spinner(what)),
            Progress::Done(what) => {
                if let Some(b) = bar.borrow_mut().take() {
                    b.finish_and_clear();
                }
                out.note(format!("  {what}"));
            }
        },
    )
    .await;
    if let Some(b) = bar.borrow_mut().take() {
        b.finish_and_clear();
    }
    let (manifest, fresh) = result?;
    if fresh {
        manifest.write(&path)?;
    }
    let mut text = if fresh {
        format!("deployed to chain {chain_id}; manifest {}\n", path.display())
    } else {
        format!("reusing the deployment in {} (code on chain matches the build)\n", path.display())
    };
    for (name, d) in manifest.programs.iter() {
        text += &format!("  {name:<9} {}  block {}\n", d.address, d.block);
    }
    out.emit(text, json!({ "fresh": fresh, "manifest": path, "deployment": manifest }));
    Ok(())
}
