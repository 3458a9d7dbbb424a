//! The consent ledger deployed with GENE, staking and the dataset registry
//! on a Stylus chain: one query from submission to the owners' claims, with
//! the balances the contract tests predict and the ledger's custom errors
//! decoded by name.

use alloy::{
    primitives::{keccak256, utils::parse_ether, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider},
    sol_types::SolEvent,
};
use strand_bindings::{
    datasets::IDatasets,
    gene::IGene,
    ledger::{
        ILedger::{self, ILedgerErrors},
        QuerySubmitted,
    },
    staking::IStaking,
};
use strand_e2e::{artifact, deploy, Confirm, Devnet};

const DAY: u64 = 24 * 3600;
const SPEC: &[u8] = br#"{"kind":"carrier_count","chrom":"22","pos":16050075,"alt":"G"}"#;

struct Programs {
    gene: Address,
    staking: Address,
    datasets: Address,
    ledger: Address,
}

/// Deploys and wires the four programs as a deployment does: staking mints
/// GENE, the ledger may slash, `admin` arbitrates, `treasury` takes the
/// protocol's 1% and operators 5%.
async fn deploy_all(
    admin: &DynProvider,
    arbiter: Address,
    treasury: Address,
) -> eyre::Result<Programs> {
    let p = Programs {
        gene: deploy(admin, &artifact("gene")?).await?,
        staking: deploy(admin, &artifact("staking")?).await?,
        datasets: deploy(admin, &artifact("datasets")?).await?,
        ledger: deploy(admin, &artifact("ledger")?).await?,
    };
    let gene = IGene::new(p.gene, admin);
    gene.initialize(
        "GENE".into(),
        "GENE".into(),
        parse_ether("10000000")?,
        parse_ether("1000000")?,
        p.staking,
    )
    .send()
    .await?
    .confirmed()
    .await?;
    let staking = IStaking::new(p.staking, admin);
    staking
        .initialize(
            p.gene,
            arbiter,
            parse_ether("1000")?,
            14 * DAY,
            7 * DAY,
            U256::ZERO,
            U256::from(1_000),
            U256::from(5_000),
        )
        .send()
        .await?
        .confirmed()
        .await?;
    staking.setLedger(p.ledger).send().await?.confirmed().await?;
    ILedger::new(p.ledger, admin)
        .initialize(
            p.gene,
            p.staking,
            p.datasets,
            arbiter,
            treasury,
            U256::from(500),
            U256::from(100),
            parse_ether("1")?,
            parse_ether("10")?,
            DAY,
            2 * DAY,
        )
        .send()
        .await?
        .confirmed()
        .await?;
    Ok(p)
}

async fn now(provider: &DynProvider) -> eyre::Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| eyre::eyre!("no latest block"))?;
    Ok(block.header.timestamp)
}

async fn travel(provider: &DynProvider, seconds: u64) -> eyre::Result<()> {
    provider.raw_request::<_, U256>("evm_increaseTime".into(), (seconds,)).await?;
    provider.raw_request::<_, String>("evm_mine".into(), ()).await?;
    Ok(())
}

fn ledger_error(err: &alloy::contract::Error) -> ILedgerErrors {
    err.as_decoded_interface_error::<ILedgerErrors>()
        .unwrap_or_else(|| panic!("not a ledger error: {err}"))
}

#[tokio::test]
async fn a_query_runs_from_submission_to_the_owners_claims() -> eyre::Result<()> {
    let Some(devnet) = Devnet::find("a_query_runs_from_submission_to_the_owners_claims")? else {
        return Ok(());
    };
    let admin = devnet.provider(0)?;
    let (operator, researcher) = (devnet.provider(1)?, devnet.provider(2)?);
    let (op, res) = (devnet.address(1), devnet.address(2));
    let treasury = devnet.address(9);
    let p = deploy_all(&admin, devnet.address(0), treasury).await?;
    let gene = IGene::new(p.gene, &admin);

    // The operator stakes; the researcher holds 1000 GENE.
    gene.transfer(op, parse_ether("1000")?).send().await?.confirmed().await?;
    gene.transfer(res, parse_ether("1000")?).send().await?.confirmed().await?;
    IGene::new(p.gene, &operator)
        .approve(p.staking, parse_ether("1000")?)
        .send()
        .await?
        .confirmed()
        .await?;
    IStaking::new(p.staking, &operator)
        .stake(parse_ether("1000")?)
        .send()
        .await?
        .confirmed()
        .await?;

    // Three owners register a dataset each, held by the operator.
    let mut owners = Vec::new();
    for i in 3..6 {
        let provider = devnet.provider(i)?;
        let registry = IDatasets::new(p.datasets, &provider);
        let commitment = keccak256([i as u8; 32]);
        let id = registry.register(commitment, op).call().await?;
        assert_eq!(id, i as u64 - 2, "dataset ids run from 1");
        registry.register(commitment, op).send().await?.confirmed().await?;
        owners.push((provider, devnet.address(i), id));
    }

    // The researcher escrows 3 × 10 GENE plus 5% and 1% fees: 31.8 GENE.
    IGene::new(p.gene, &researcher)
        .approve(p.ledger, parse_ether("31.8")?)
        .send()
        .await?
        .confirmed()
        .await?;
    let t = now(&admin).await?;
    let ledger_r = ILedger::new(p.ledger, &researcher);
    let key = Bytes::from(vec![0x42; 32]);
    let submit = ledger_r.submitQuery(
        keccak256(SPEC),
        Bytes::from_static(SPEC),
        "HMB".into(),
        op,
        parse_ether("10")?,
        3,
        2,
        t + 600,
        t + 3600,
        key.clone(),
        U256::ZERO,
        0,
        B256::ZERO,
        B256::ZERO,
    );
    let query = submit.call().await?;
    let receipt = submit.send().await?.confirmed().await?;
    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| QuerySubmitted::decode_log_data(log.data()).ok())
        .expect("QuerySubmitted in the receipt");
    assert_eq!((event.id, event.researcher, event.operator), (query, res, op));
    assert_eq!((event.spec.as_ref(), event.purpose.as_str()), (SPEC, "HMB"));
    assert_eq!((event.escrow, event.researcherKey), (parse_ether("31.8")?, key));
    assert_eq!(gene.balanceOf(p.ledger).call().await?, parse_ether("31.8")?);

    // Two approve, one denies; nobody decides for another's dataset.
    for (provider, _, id) in &owners[..2] {
        ILedger::new(p.ledger, provider).approve(query, *id).send().await?.confirmed().await?;
    }
    let (third, third_addr, third_id) = &owners[2];
    let err = ILedger::new(p.ledger, third)
        .approve(query, owners[0].2)
        .call()
        .await
        .err()
        .expect("not the owner");
    match ledger_error(&err) {
        ILedgerErrors::NotDatasetOwner(e) => assert_eq!((e._0, e._1), (owners[0].2, *third_addr)),
        other => panic!("expected NotDatasetOwner, got {other:?}"),
    }
    ILedger::new(p.ledger, third).deny(query, *third_id).send().await?.confirmed().await?;

    // No answer before the consent deadline; then the operator answers.
    let ledger_o = ILedger::new(p.ledger, &operator);
    let post =
        ledger_o.postResult(query, B256::repeat_byte(0xc0), 2, Bytes::from_static(b"sealed"));
    match ledger_error(&post.call().await.err().expect("too early")) {
        ILedgerErrors::OutsideWindow(e) => assert_eq!((e._0, e._2), (query, t + 3600)),
        other => panic!("expected OutsideWindow, got {other:?}"),
    }
    travel(&admin, 601).await?;
    post.send().await?.confirmed().await?;

    // After the challenge window anyone finalises: fees paid, the unused
    // consent refunded, 20 GENE left for the two owners.
    travel(&admin, DAY + 1).await?;
    let before = gene.balanceOf(res).call().await?;
    ILedger::new(p.ledger, &admin).finalize(query).send().await?.confirmed().await?;
    assert_eq!(gene.balanceOf(res).call().await? - before, parse_ether("10")?);
    assert_eq!(gene.balanceOf(op).call().await?, parse_ether("1.5")?);
    assert_eq!(gene.balanceOf(treasury).call().await?, parse_ether("0.3")?);
    assert_eq!(gene.balanceOf(p.ledger).call().await?, parse_ether("20")?);

    // Each approving owner pulls its reward, once.
    for (provider, addr, id) in &owners[..2] {
        let ledger = ILedger::new(p.ledger, provider);
        ledger.claim(vec![query], vec![*id]).send().await?.confirmed().await?;
        assert_eq!(gene.balanceOf(*addr).call().await?, parse_ether("10")?);
        match ledger_error(&ledger.claim(vec![query], vec![*id]).call().await.unwrap_err()) {
            ILedgerErrors::AlreadyClaimed(e) => assert_eq!((e._0, e._1), (query, *id)),
            other => panic!("expected AlreadyClaimed, got {other:?}"),
        }
    }
    assert_eq!(gene.balanceOf(p.ledger).call().await?, U256::ZERO);
    let q = ILedger::new(p.ledger, &admin).query(query).call().await?;
    assert_eq!((q._2, q._4, q._5, q._6, q._7), (4, 2, 2, U256::ZERO, U256::ZERO));
    Ok(())
}
