//! GENE and staking, as built by scripts/build-contracts.sh, deploy to a
//! Stylus chain and run there: initialisation is the deployer's alone,
//! stake, emissions and slashing move the amounts the contract tests
//! predict, and failures arrive as the programs' custom errors.

use alloy::{
    primitives::{utils::parse_ether, Address, U256},
    providers::{DynProvider, Provider},
};
use strand_bindings::{
    gene::IGene::{self, IGeneErrors},
    staking::IStaking::{self, IStakingErrors},
};
use strand_e2e::{artifact, deploy, Confirm, Devnet};

const UNBONDING: u64 = 14 * 24 * 3600;
const HORIZON: u64 = 7 * 24 * 3600;

struct Deployed {
    gene: Address,
    staking: Address,
}

async fn deploy_and_initialise(admin: &DynProvider, admin_addr: Address) -> eyre::Result<Deployed> {
    let gene = deploy(admin, &artifact("gene")?).await?;
    let staking = deploy(admin, &artifact("staking")?).await?;
    IGene::new(gene, admin)
        .initialize(
            "Strand GENE".into(),
            "GENE".into(),
            parse_ether("10000000")?,
            parse_ether("1000000")?,
            staking,
        )
        .send()
        .await?
        .confirmed()
        .await?;
    IStaking::new(staking, admin)
        .initialize(
            gene,
            admin_addr,
            parse_ether("1000")?,
            UNBONDING,
            HORIZON,
            parse_ether("0.001")?,
            U256::from(1_000),
            U256::from(5_000),
        )
        .send()
        .await?
        .confirmed()
        .await?;
    Ok(Deployed { gene, staking })
}

#[tokio::test]
async fn programs_deploy_initialise_and_run_on_a_stylus_chain() -> eyre::Result<()> {
    let Some(devnet) = Devnet::find("programs_deploy_initialise_and_run_on_a_stylus_chain")? else {
        return Ok(());
    };
    let admin = devnet.provider(0)?;
    let operator = devnet.provider(1)?;
    let op = devnet.address(1);
    let admin_addr = devnet.address(0);

    // Only the deployer may initialise: a stranger is refused by name.
    let gene_addr = deploy(&admin, &artifact("gene")?).await?;
    let err = IGene::new(gene_addr, &operator)
        .initialize("X".into(), "X".into(), U256::from(1), U256::ZERO, op)
        .call()
        .await
        .err()
        .expect("a stranger must not initialise GENE");
    match err.as_decoded_interface_error::<IGeneErrors>() {
        Some(IGeneErrors::NotDeployer(e)) => assert_eq!(e.0, op),
        other => panic!("expected NotDeployer, got {other:?} from {err}"),
    }

    let d = deploy_and_initialise(&admin, admin_addr).await?;
    let gene = IGene::new(d.gene, &admin);
    assert_eq!(gene.name().call().await?, "Strand GENE");
    assert_eq!(gene.minter().call().await?, d.staking);
    assert_eq!(gene.balanceOf(admin_addr).call().await?, parse_ether("1000000")?);

    // Stake through an allowance.
    gene.transfer(op, parse_ether("5000")?).send().await?.confirmed().await?;
    let gene_op = IGene::new(d.gene, &operator);
    gene_op.approve(d.staking, parse_ether("2000")?).send().await?.confirmed().await?;
    let staking_op = IStaking::new(d.staking, &operator);
    staking_op.stake(parse_ether("2000")?).send().await?.confirmed().await?;
    assert!(staking_op.isEligible(op).call().await?);
    assert_eq!(gene.balanceOf(d.staking).call().await?, parse_ether("2000")?);

    // Staking more than the allowance fails with GENE's own error.
    let err = staking_op.stake(parse_ether("1")?).call().await.err().expect("no allowance left");
    match err.as_decoded_interface_error::<IGeneErrors>() {
        Some(IGeneErrors::ERC20InsufficientAllowance(e)) => assert_eq!(e._0, d.staking),
        other => panic!("expected ERC20InsufficientAllowance, got {other:?} from {err}"),
    }

    // Emissions: 0.001 GENE per second to the only staker.
    let before = gene.balanceOf(op).call().await?;
    admin.raw_request::<_, alloy::primitives::U256>("evm_increaseTime".into(), (1000,)).await?;
    let receipt = staking_op.claimEmissions().send().await?.confirmed().await?;
    assert!(receipt.status());
    let earned = gene.balanceOf(op).call().await? - before;
    // 1000 s of travel plus the seconds the blocks themselves took.
    assert!(earned >= parse_ether("1")? && earned < parse_ether("1.1")?, "earned {earned}");

    // Slash: 10% of 2000 taken, half to the challenger, half burned. The
    // slash first mints the emissions accrued since the last block.
    let supply = gene.totalSupply().call().await?;
    let reserve = staking_op.emissionsReserve().call().await?;
    let challenger = Address::repeat_byte(0xcc);
    IStaking::new(d.staking, &admin).slash(op, challenger).send().await?.confirmed().await?;
    let info = staking_op.operatorInfo(op).call().await?;
    assert_eq!((info._0, info._3), (parse_ether("1800")?, true));
    assert_eq!(gene.balanceOf(challenger).call().await?, parse_ether("100")?);
    let minted = staking_op.emissionsReserve().call().await? - reserve;
    assert_eq!(gene.totalSupply().call().await?, supply + minted - parse_ether("100")?);

    // Wrong state: unstaking more than the stake, decoded with parameters.
    let err = staking_op.requestUnstake(parse_ether("9000")?).call().await.err().expect("too much");
    match err.as_decoded_interface_error::<IStakingErrors>() {
        Some(IStakingErrors::InsufficientStake(e)) => {
            assert_eq!((e._0, e._1, e._2), (op, parse_ether("1800")?, parse_ether("9000")?))
        }
        other => panic!("expected InsufficientStake, got {other:?} from {err}"),
    }
    Ok(())
}
