// Events and custom errors of the consent ledger, with their parameter names.
// The Rust program declares them from this file (`sol!`), and the exported
// ABI in contracts/abi/ appends this file to the SDK's interface, which lists
// functions and unnamed errors only. Events carry every field the indexer
// needs to rebuild the ledger's state without calling the chain.

/// Ownership moved (OpenZeppelin's Ownable).
event OwnershipTransferred(address indexed previous_owner, address indexed new_owner);
/// The ledger was initialised by `owner` for `gene`, `staking` and the
/// dataset registry `datasets`.
event Initialized(address indexed owner, address indexed gene, address indexed staking, address datasets);
/// The owner set the ledger's roles and parameters (fees in basis points
/// of rewards, windows in seconds).
event Configured(
    address indexed arbiter,
    address indexed treasury,
    uint256 operatorFeeBps,
    uint256 protocolFeeBps,
    uint256 minEscrow,
    uint256 challengeBond,
    uint64 challengeWindow,
    uint64 arbitrationWindow
);

/// `researcher` submitted query `id` to `operator` and escrowed `escrow`
/// (rewards plus `operatorFee` plus `protocolFee`). `spec` is the query's
/// specification (its keccak-256 is `specHash`); `purpose` a GA4GH DUO code.
event QuerySubmitted(
    uint64 indexed id,
    address indexed researcher,
    address indexed operator,
    bytes32 specHash,
    bytes spec,
    string purpose,
    uint256 rewardPerConsent,
    uint32 maxConsents,
    uint32 minConsents,
    uint64 consentDeadline,
    uint64 resultDeadline,
    bytes researcherKey,
    uint256 escrow,
    uint256 operatorFee,
    uint256 protocolFee
);
/// `owner` decided on query `query` for dataset `dataset` at `at`:
/// 1 approve, 2 deny, 3 revoke. `approvals` is the query's new count.
event ConsentDecided(uint64 indexed query, uint64 indexed dataset, address indexed owner, uint8 decision, uint64 at, uint32 approvals);
/// `operator` answered `query` with `consentsUsed` consents; the answer is
/// encrypted to the researcher's key. Challenges are open until
/// `challengeDeadline`.
event ResultPosted(uint64 indexed query, address indexed operator, bytes32 commitment, uint32 consentsUsed, bytes encryptedAnswer, uint64 challengeDeadline);
/// `challenger` disputed `query`'s result with `bond`; the arbiter has until
/// `arbitrationDeadline`.
event Challenged(uint64 indexed query, address indexed challenger, uint256 bond, uint64 arbitrationDeadline);
/// `arbiter` judged `query`'s dispute: upheld (operator slashed by
/// `slashed`, researcher refunded `refund`) or rejected (bond to operator).
event DisputeResolved(uint64 indexed query, address indexed arbiter, bool upheld, uint256 slashed, uint256 refund);
/// A dispute nobody judged by its deadline lapsed; the bond went back.
event DisputeLapsed(uint64 indexed query, address indexed challenger, uint256 bond);
/// `query` finalised: `ownersPool` is left for owners to claim, the fees
/// were paid and `refund` went back to the researcher.
event QueryFinalized(uint64 indexed query, address indexed by, uint256 ownersPool, uint256 operatorFee, uint256 protocolFee, uint256 refund);
/// `query` had no result by its deadline; `researcher` took back `amount`.
event QueryReclaimed(uint64 indexed query, address indexed researcher, uint256 amount);
/// `owner` was paid `amount` for its consent to `query` with `dataset`.
event RewardClaimed(uint64 indexed query, uint64 indexed dataset, address indexed owner, uint256 amount);

/// `caller` did not deploy this program, or it is already initialised.
error NotDeployer(address caller);
/// No dataset has this id.
error UnknownDataset(uint64 dataset);
/// No query has this id.
error UnknownQuery(uint64 query);
/// `caller` does not own `dataset`.
error NotDatasetOwner(uint64 dataset, address caller);
/// `dataset` is deactivated.
error DatasetInactive(uint64 dataset);
/// `dataset` is held by `holder`, not by the query's operator.
error WrongOperator(uint64 dataset, address holder, address operator);
/// `operator` is not staked enough, or jailed.
error OperatorNotEligible(address operator);
/// The specification does not hash to `specHash`.
error SpecHashMismatch(bytes32 specHash, bytes32 actual);
/// `purpose` is not a GA4GH DUO code this ledger knows (GRU, HMB, DS, POA,
/// NRES, optionally followed by ':' or '-' and modifiers).
error InvalidPurpose(string purpose);
/// Consent counts out of order: 0 < minConsents <= maxConsents.
error InvalidConsentBounds(uint32 minConsents, uint32 maxConsents);
/// Deadlines out of order: now < consentDeadline < resultDeadline.
error InvalidDeadlines(uint64 consentDeadline, uint64 resultDeadline, uint64 now);
/// The obligation `escrow` is below the minimum `minimum`.
error DustQuery(uint256 escrow, uint256 minimum);
/// `query` is not in the state this call needs (`state`: 1 open,
/// 2 answered, 3 disputed, 4 finalised, 5 refunded, 6 reclaimed).
error WrongQueryState(uint64 query, uint8 state);
/// `query` already has `maxConsents` approvals.
error QueryFull(uint64 query, uint32 maxConsents);
/// `dataset` has no approval on `query` to revoke or pay.
error NotApproved(uint64 query, uint64 dataset);
/// Only the query's operator may do this.
error NotQueryOperator(uint64 query, address caller);
/// Only the arbiter may do this.
error NotArbiter(address caller);
/// Too early or too late: allowed from `opens` until `closes`, now `now`.
error OutsideWindow(uint64 query, uint64 opens, uint64 closes, uint64 now);
/// `consentsUsed` is below the query's minimum or above its approvals.
error InvalidConsentCount(uint64 query, uint32 consentsUsed, uint32 minConsents, uint32 approvals);
/// The consent of `dataset` to `query` was paid already.
error AlreadyClaimed(uint64 query, uint64 dataset);
/// All `consentsUsed` rewards of `query` are paid.
error RewardsExhausted(uint64 query);
/// Arrays of different lengths.
error LengthMismatch(uint256 queries, uint256 datasets);
/// A fee share over the maximum, or windows longer than the staking
/// program's dispute horizon.
error InvalidParameter(bytes32 name, uint256 value);
/// `account` is not the owner.
error OwnableUnauthorizedAccount(address account);
/// Ownership cannot go to `owner` (the zero address).
error OwnableInvalidOwner(address owner);
/// An arithmetic result does not fit in 256 bits.
error ArithmeticOverflow();
