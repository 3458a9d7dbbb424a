use alloy_primitives::{Address, B256};
use motsu::prelude::*;
use strand_common::clock;

use super::*;

fn commitment(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

#[motsu::test]
fn register_numbers_datasets_from_one_and_records_them(
    registry: Contract<Datasets>,
    alice: Address,
    bob: Address,
    vault: Address,
) {
    // As deployed: the init code has written the deployer into slot 0.
    registry.sender(alice).deployed_by(Address::repeat_byte(0xff));
    let a =
        registry.sender(alice).register(commitment(1), vault).motsu_unwrap();
    let b = registry.sender(bob).register(commitment(2), vault).motsu_unwrap();
    assert_eq!((a, b), (1, 2));
    assert_eq!(registry.sender(alice).count(), 2);
    assert_eq!(
        registry.sender(alice).dataset(1),
        (alice, vault, commitment(1), true, 0)
    );
    assert_eq!(
        registry.sender(alice).dataset(2),
        (bob, vault, commitment(2), true, 0)
    );
    registry.assert_emitted(&DatasetRegistered {
        id: 2,
        owner: bob,
        operator: vault,
        commitment: commitment(2),
    });
}

#[motsu::test]
fn an_unknown_dataset_reads_as_zero(
    registry: Contract<Datasets>,
    alice: Address,
) {
    assert_eq!(
        registry.sender(alice).dataset(7),
        (Address::ZERO, Address::ZERO, B256::ZERO, false, 0)
    );
}

#[motsu::test]
fn register_rejects_a_zero_commitment_or_operator(
    registry: Contract<Datasets>,
    alice: Address,
    vault: Address,
) {
    let err =
        registry.sender(alice).register(B256::ZERO, vault).motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidDataset(_)));
    let err = registry
        .sender(alice)
        .register(commitment(1), Address::ZERO)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidDataset(_)));
    assert_eq!(registry.sender(alice).count(), 0);
}

#[motsu::test]
fn the_owner_moves_a_dataset_to_another_operator(
    registry: Contract<Datasets>,
    alice: Address,
    vault: Address,
    other: Address,
) {
    registry.sender(alice).register(commitment(1), vault).motsu_unwrap();
    registry.sender(alice).set_operator(1, other).motsu_unwrap();
    assert_eq!(registry.sender(alice).dataset(1).1, other);
    registry.assert_emitted(&DatasetOperatorChanged {
        id: 1,
        owner: alice,
        previous: vault,
        current: other,
    });
    let err = registry
        .sender(alice)
        .set_operator(1, Address::ZERO)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidDataset(_)));
}

#[motsu::test]
fn only_the_owner_changes_or_deactivates_a_dataset(
    registry: Contract<Datasets>,
    alice: Address,
    mallory: Address,
    vault: Address,
) {
    registry.sender(alice).register(commitment(1), vault).motsu_unwrap();
    let err =
        registry.sender(mallory).set_operator(1, mallory).motsu_unwrap_err();
    assert!(matches!(
        err,
        Error::NotDatasetOwner(NotDatasetOwner { dataset: 1, caller }) if caller == mallory
    ));
    let err = registry.sender(mallory).deactivate(1).motsu_unwrap_err();
    assert!(matches!(err, Error::NotDatasetOwner(_)));
    let err = registry.sender(alice).deactivate(9).motsu_unwrap_err();
    assert!(matches!(
        err,
        Error::UnknownDataset(UnknownDataset { dataset: 9 })
    ));
    let err = registry.sender(alice).set_operator(9, vault).motsu_unwrap_err();
    assert!(matches!(err, Error::UnknownDataset(_)));
}

#[motsu::test]
fn deactivation_is_final_and_timestamped(
    registry: Contract<Datasets>,
    alice: Address,
    vault: Address,
) {
    registry.sender(alice).register(commitment(1), vault).motsu_unwrap();
    clock::advance(50);
    registry.sender(alice).deactivate(1).motsu_unwrap();
    let at = clock::now();
    assert_eq!(
        registry.sender(alice).dataset(1),
        (alice, vault, commitment(1), false, at)
    );
    registry.assert_emitted(&DatasetDeactivated { id: 1, owner: alice, at });
    let err = registry.sender(alice).deactivate(1).motsu_unwrap_err();
    assert!(matches!(
        err,
        Error::DatasetInactive(DatasetInactive { dataset: 1 })
    ));
    let err = registry.sender(alice).set_operator(1, vault).motsu_unwrap_err();
    assert!(matches!(err, Error::DatasetInactive(_)));
}
