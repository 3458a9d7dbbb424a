// Events and custom errors of the staking program, with their parameter
// names. The Rust program declares them from this file (`sol!`), and the
// exported ABI in contracts/abi/ appends this file to the SDK's interface,
// which lists functions and unnamed errors only.

/// Ownership moved (OpenZeppelin's Ownable).
event OwnershipTransferred(address indexed previous_owner, address indexed new_owner);
/// `account` paused the program (OpenZeppelin's Pausable).
event Paused(address account);
/// `account` lifted the pause (OpenZeppelin's Pausable).
event Unpaused(address account);
/// The program was initialised by `owner` for the token `gene`.
event Initialized(address indexed owner, address indexed gene);
/// `operator` added `amount`; its active stake is now `stake`.
event Staked(address indexed operator, uint256 amount, uint256 stake);
/// `operator` moved `amount` from active stake to unbonding; all of its
/// `unbonding` stake can be withdrawn from `releaseAt`.
event UnstakeRequested(
    address indexed operator,
    uint256 amount,
    uint256 unbonding,
    uint64 releaseAt
);
/// `operator` withdrew `amount` of unbonded stake.
event Withdrawn(address indexed operator, uint256 amount);
/// `amount` of emissions was minted into the reserve; the accumulator
/// now stands at `rewardPerToken`.
event EmissionsMinted(uint256 amount, uint256 rewardPerToken);
/// `operator` was paid `amount` of emissions.
event EmissionsClaimed(address indexed operator, uint256 amount);
/// `slasher` took `amount` from `operator` (`fromUnbonding` of it out of
/// unbonding stake), paid `challengerReward` to `challenger` and burned
/// the rest; the operator is jailed.
event Slashed(
    address indexed operator,
    address indexed challenger,
    address indexed slasher,
    uint256 amount,
    uint256 fromUnbonding,
    uint256 challengerReward,
    uint256 burned
);
/// `arbiter` released `operator` from jail.
event Unjailed(address indexed operator, address indexed arbiter);
/// The parameter `name` changed from `previous` to `current`.
event ParameterChanged(bytes32 indexed name, uint256 previous, uint256 current);
/// The role `role` ("ledger" or "arbiter") moved between accounts.
event RoleChanged(bytes32 indexed role, address indexed previous, address indexed current);

/// `caller` did not deploy this program, or it is already initialised.
error NotDeployer(address caller);
/// Only the ledger or the arbiter may slash; `caller` is neither.
error NotSlasher(address caller);
/// Only the arbiter may do this; `caller` is not it.
error NotArbiter(address caller);
/// An amount of zero.
error ZeroAmount();
/// `operator` has `stake` active, less than the `requested` amount.
error InsufficientStake(address operator, uint256 stake, uint256 requested);
/// `operator` has no unbonding stake to withdraw.
error NothingUnbonding(address operator);
/// `operator`'s unbonding stake is locked until `releaseAt`.
error StillUnbonding(address operator, uint64 releaseAt, uint64 now);
/// `operator` is jailed.
error OperatorJailed(address operator);
/// `operator` is not jailed.
error OperatorNotJailed(address operator);
/// `operator` has no emissions to claim.
error NothingToClaim(address operator);
/// `operator` has no stake to slash.
error NothingToSlash(address operator);
/// A slash share of zero or over the maximum, or a challenger share over
/// 100%.
error InvalidSlashShares(uint256 slashBps, uint256 challengerBps);
/// The unbonding period must be longer than the dispute horizon and at
/// most a year.
error UnbondingTooShort(uint64 unbondingPeriod, uint64 disputeHorizon);
/// GENE's minter is `minter`, not this program, so emissions could not be
/// minted.
error NotGeneMinter(address minter);
/// The role `role` cannot be the zero address (the arbiter must exist: it
/// alone unjails).
error ZeroRole(bytes32 role);
/// A minimum stake of `minStake` would let an eligible operator escape a
/// slash of `slashBps`: the slash would round to nothing.
error MinStakeTooLow(uint256 minStake, uint256 slashBps);
/// GENE's cap is too large for the 1e36-scaled emission accumulator.
error UnsupportedCap(uint256 cap);
/// An arithmetic result does not fit in 256 bits (unreachable with a
/// supported cap; there as the checked arithmetic's failure).
error ArithmeticOverflow();
