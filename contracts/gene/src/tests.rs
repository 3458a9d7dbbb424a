use alloy_primitives::{keccak256, uint, Address, B256, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::SolValue;
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::extensions::permit;
use proptest::prelude::*;

use super::*;

const CAP: U256 = uint!(1_000_000_U256);
const INITIAL: U256 = uint!(400_000_U256);

/// Deploys and initialises GENE: `admin` holds the initial supply and
/// `minter` may mint.
fn init(gene: &Contract<Gene>, admin: Address, minter: Address) {
    gene.sender(admin).deployed_by(admin);
    gene.sender(admin)
        .initialize("Strand GENE".into(), "GENE".into(), CAP, INITIAL, minter)
        .motsu_unwrap();
}

#[motsu::test]
fn initialize_sets_metadata_cap_minter_and_initial_supply(
    gene: Contract<Gene>,
    admin: Address,
    minter: Address,
) {
    init(&gene, admin, minter);
    assert_eq!(gene.sender(admin).name(), "Strand GENE");
    assert_eq!(gene.sender(admin).symbol(), "GENE");
    assert_eq!(gene.sender(admin).decimals(), U8::from(18));
    assert_eq!(gene.sender(admin).cap(), CAP);
    assert_eq!(gene.sender(admin).minter(), minter);
    assert_eq!(gene.sender(admin).balance_of(admin), INITIAL);
    assert_eq!(gene.sender(admin).total_supply(), INITIAL);
    gene.assert_emitted(&Initialized {
        holder: admin,
        minter,
        cap: CAP,
        initialSupply: INITIAL,
    });
}

#[motsu::test]
fn initialize_rejects_anyone_but_the_deployer(
    gene: Contract<Gene>,
    admin: Address,
    mallory: Address,
) {
    gene.sender(admin).deployed_by(admin);
    let err = gene
        .sender(mallory)
        .initialize("X".into(), "X".into(), CAP, U256::ZERO, mallory)
        .motsu_unwrap_err();
    assert!(
        matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == mallory)
    );
}

#[motsu::test]
fn initialize_runs_only_once(gene: Contract<Gene>, admin: Address) {
    init(&gene, admin, admin);
    let err = gene
        .sender(admin)
        .initialize("X".into(), "X".into(), CAP, U256::ZERO, admin)
        .motsu_unwrap_err();
    assert!(
        matches!(err, Error::NotDeployer(NotDeployer { caller }) if caller == admin)
    );
}

#[motsu::test]
fn initialize_rejects_a_zero_cap(gene: Contract<Gene>, admin: Address) {
    gene.sender(admin).deployed_by(admin);
    let err = gene
        .sender(admin)
        .initialize("X".into(), "X".into(), U256::ZERO, U256::ZERO, admin)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidCap(_)));
}

#[motsu::test]
fn initialize_rejects_an_initial_supply_over_the_cap(
    gene: Contract<Gene>,
    admin: Address,
) {
    gene.sender(admin).deployed_by(admin);
    let over = CAP + U256::from(1);
    let err = gene
        .sender(admin)
        .initialize("X".into(), "X".into(), CAP, over, admin)
        .motsu_unwrap_err();
    assert!(matches!(
        err,
        Error::ExceededCap(capped::ERC20ExceededCap { increased_supply, cap })
            if increased_supply == over && cap == CAP
    ));
}

#[motsu::test]
fn minter_mints_up_to_the_cap(
    gene: Contract<Gene>,
    admin: Address,
    minter: Address,
    alice: Address,
) {
    init(&gene, admin, minter);
    let room = CAP - INITIAL;
    gene.sender(minter).mint(alice, room).motsu_unwrap();
    assert_eq!(gene.sender(alice).balance_of(alice), room);
    assert_eq!(gene.sender(alice).total_supply(), CAP);
    gene.assert_emitted(&Transfer {
        from: Address::ZERO,
        to: alice,
        value: room,
    });

    let err = gene.sender(minter).mint(alice, U256::from(1)).motsu_unwrap_err();
    assert!(matches!(
        err,
        Error::ExceededCap(capped::ERC20ExceededCap { increased_supply, cap })
            if increased_supply == CAP + U256::from(1) && cap == CAP
    ));
}

#[motsu::test]
fn mint_rejects_anyone_but_the_minter(
    gene: Contract<Gene>,
    admin: Address,
    minter: Address,
) {
    init(&gene, admin, minter);
    let err = gene.sender(admin).mint(admin, U256::from(1)).motsu_unwrap_err();
    assert!(
        matches!(err, Error::NotMinter(NotMinter { caller }) if caller == admin)
    );
}

#[motsu::test]
fn mint_with_a_zero_minter_is_disabled(gene: Contract<Gene>, admin: Address) {
    init(&gene, admin, Address::ZERO);
    let err = gene.sender(admin).mint(admin, U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, Error::NotMinter(_)));
}

#[motsu::test]
fn mint_to_the_zero_address_fails(
    gene: Contract<Gene>,
    admin: Address,
    minter: Address,
) {
    init(&gene, admin, minter);
    let err = gene
        .sender(minter)
        .mint(Address::ZERO, U256::from(1))
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidReceiver(_)));
}

#[motsu::test]
fn burn_reduces_balance_and_supply(gene: Contract<Gene>, admin: Address) {
    init(&gene, admin, admin);
    gene.sender(admin).burn(U256::from(100)).motsu_unwrap();
    assert_eq!(gene.sender(admin).balance_of(admin), INITIAL - U256::from(100));
    assert_eq!(gene.sender(admin).total_supply(), INITIAL - U256::from(100));
    gene.assert_emitted(&Transfer {
        from: admin,
        to: Address::ZERO,
        value: U256::from(100),
    });
}

#[motsu::test]
fn burn_more_than_the_balance_fails(
    gene: Contract<Gene>,
    admin: Address,
    alice: Address,
) {
    init(&gene, admin, admin);
    let err = gene.sender(alice).burn(U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, Error::InsufficientBalance(_)));
}

#[motsu::test]
fn burn_from_spends_the_allowance(
    gene: Contract<Gene>,
    admin: Address,
    alice: Address,
) {
    init(&gene, admin, admin);
    gene.sender(admin).approve(alice, U256::from(50)).motsu_unwrap();
    gene.sender(alice).burn_from(admin, U256::from(30)).motsu_unwrap();
    assert_eq!(gene.sender(admin).allowance(admin, alice), U256::from(20));
    assert_eq!(gene.sender(admin).balance_of(admin), INITIAL - U256::from(30));

    let err =
        gene.sender(alice).burn_from(admin, U256::from(21)).motsu_unwrap_err();
    assert!(matches!(err, Error::InsufficientAllowance(_)));
}

#[motsu::test]
fn transfers_and_allowances_follow_erc20(
    gene: Contract<Gene>,
    admin: Address,
    alice: Address,
    bob: Address,
) {
    init(&gene, admin, admin);
    assert!(gene.sender(admin).transfer(alice, U256::from(10)).motsu_unwrap());
    assert!(gene.sender(alice).approve(bob, U256::from(4)).motsu_unwrap());
    assert!(gene
        .sender(bob)
        .transfer_from(alice, bob, U256::from(4))
        .motsu_unwrap());
    assert_eq!(gene.sender(bob).balance_of(alice), U256::from(6));
    assert_eq!(gene.sender(bob).balance_of(bob), U256::from(4));

    let err =
        gene.sender(alice).transfer(bob, U256::from(7)).motsu_unwrap_err();
    assert!(matches!(err, Error::InsufficientBalance(_)));
    let err = gene
        .sender(alice)
        .transfer(Address::ZERO, U256::from(1))
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidReceiver(_)));
    let err = gene
        .sender(alice)
        .approve(Address::ZERO, U256::from(1))
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSpender(_)));
}

#[motsu::test]
fn supports_the_erc20_and_metadata_interfaces(
    gene: Contract<Gene>,
    admin: Address,
) {
    init(&gene, admin, admin);
    let erc20 = <Erc20 as IErc20>::interface_id();
    let metadata = <Erc20Metadata as IErc20Metadata>::interface_id();
    assert!(gene.sender(admin).supports_interface(erc20));
    assert!(gene.sender(admin).supports_interface(metadata));
    assert!(!gene.sender(admin).supports_interface(B32::from([0xff; 4])));
}

const PERMIT_TYPEHASH: &[u8] =
    b"Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)";

/// Signs an EIP-2612 permit by `owner` as a wallet would.
fn sign_permit(
    gene: &Contract<Gene>,
    owner: Account,
    spender: Address,
    value: U256,
    deadline: U256,
) -> (u8, B256, B256) {
    let nonce = gene.sender(owner).nonces(owner.address());
    let struct_hash = keccak256(
        (
            keccak256(PERMIT_TYPEHASH),
            owner.address(),
            spender,
            value,
            nonce,
            deadline,
        )
            .abi_encode(),
    );
    let domain = gene.sender(owner).domain_separator();
    let digest = keccak256(
        [&[0x19, 0x01][..], domain.as_slice(), struct_hash.as_slice()].concat(),
    );
    let sig = owner.signer().sign_hash_sync(&digest).expect("sign");
    (27 + u8::from(sig.v()), sig.r().into(), sig.s().into())
}

#[motsu::test]
fn permit_sets_an_allowance_from_a_signature(
    gene: Contract<Gene>,
    owner: Account,
    spender: Address,
) {
    init(&gene, owner.address(), owner.address());
    let deadline = U256::from(u64::MAX);
    let (v, r, s) =
        sign_permit(&gene, owner, spender, U256::from(77), deadline);
    gene.sender(spender)
        .permit(owner.address(), spender, U256::from(77), deadline, v, r, s)
        .motsu_unwrap();
    assert_eq!(
        gene.sender(spender).allowance(owner.address(), spender),
        U256::from(77)
    );
    assert_eq!(gene.sender(spender).nonces(owner.address()), U256::from(1));

    // A replay of the same signature no longer matches the nonce.
    let err = gene
        .sender(spender)
        .permit(owner.address(), spender, U256::from(77), deadline, v, r, s)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSigner(_)));
}

#[motsu::test]
fn permit_past_its_deadline_fails(
    gene: Contract<Gene>,
    owner: Account,
    spender: Address,
) {
    init(&gene, owner.address(), owner.address());
    let deadline = U256::from(1);
    let (v, r, s) = sign_permit(&gene, owner, spender, U256::from(5), deadline);
    let err = gene
        .sender(spender)
        .permit(owner.address(), spender, U256::from(5), deadline, v, r, s)
        .motsu_unwrap_err();
    assert!(
        matches!(err, Error::ExpiredSignature(permit::ERC2612ExpiredSignature { deadline: d }) if d == deadline)
    );
}

#[motsu::test]
fn permit_signed_by_someone_else_fails(
    gene: Contract<Gene>,
    owner: Account,
    mallory: Account,
    spender: Address,
) {
    init(&gene, owner.address(), owner.address());
    let deadline = U256::from(u64::MAX);
    let (v, r, s) =
        sign_permit(&gene, mallory, spender, U256::from(5), deadline);
    let err = gene
        .sender(spender)
        .permit(owner.address(), spender, U256::from(5), deadline, v, r, s)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSigner(_)));
}

#[motsu::test]
fn permit_with_a_malleable_or_empty_signature_fails(
    gene: Contract<Gene>,
    owner: Account,
    spender: Address,
) {
    init(&gene, owner.address(), owner.address());
    let deadline = U256::from(u64::MAX);
    let high_s = B256::from([0xff; 32]);
    let err = gene
        .sender(spender)
        .permit(
            owner.address(),
            spender,
            U256::from(5),
            deadline,
            27,
            B256::ZERO,
            high_s,
        )
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSignatureS(_)));
    let err = gene
        .sender(spender)
        .permit(
            owner.address(),
            spender,
            U256::from(5),
            deadline,
            27,
            B256::ZERO,
            B256::ZERO,
        )
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSignature(_)));
}

#[derive(Debug, Clone)]
enum Op {
    Mint(u64),
    Burn(u64),
    Transfer(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..400_000u64).prop_map(Op::Mint),
        (0..200_000u64).prop_map(Op::Burn),
        (0..200_000u64).prop_map(Op::Transfer),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the minter, holders and burners do, the supply never goes
    /// over the cap and always equals the sum of the balances.
    #[test]
    fn supply_never_exceeds_the_cap(ops in proptest::collection::vec(op(), 1..40)) {
        let _precompiles = motsu::prelude::deploy_precompiles();
        let gene = Contract::<Gene>::new();
        let (admin, minter, alice) =
            (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        init(&gene, admin, minter);
        for op in ops {
            // Failures (over the cap, over a balance) are part of the game.
            let _ = match op {
                Op::Mint(v) => gene.sender(minter).mint(alice, U256::from(v)),
                Op::Burn(v) => gene.sender(alice).burn(U256::from(v)),
                Op::Transfer(v) => gene.sender(alice).transfer(admin, U256::from(v)).map(|_| ()),
            };
            let supply = gene.sender(admin).total_supply();
            prop_assert!(supply <= CAP);
            let sum = gene.sender(admin).balance_of(admin) + gene.sender(admin).balance_of(alice);
            prop_assert_eq!(supply, sum);
        }
    }
}
