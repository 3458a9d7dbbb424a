// Events and custom errors of the dataset registry, with their parameter
// names. The Rust program declares them from this file (`sol!`), and the
// exported ABI in contracts/abi/ appends this file to the SDK's interface,
// which lists functions and unnamed errors only.

/// `owner` registered dataset `id`, a salted commitment held by `operator`.
event DatasetRegistered(uint64 indexed id, address indexed owner, address indexed operator, bytes32 commitment);
/// `owner` moved dataset `id` from `previous` to `current` operator.
event DatasetOperatorChanged(uint64 indexed id, address indexed owner, address previous, address indexed current);
/// `owner` deactivated dataset `id` for good at `at`, withdrawing it from
/// every query not yet answered.
event DatasetDeactivated(uint64 indexed id, address indexed owner, uint64 at);

/// No dataset has this id.
error UnknownDataset(uint64 dataset);
/// `caller` does not own `dataset`.
error NotDatasetOwner(uint64 dataset, address caller);
/// `dataset` is deactivated.
error DatasetInactive(uint64 dataset);
/// A zero commitment or a zero operator.
error InvalidDataset();
