// Events and custom errors of the GENE program, with their parameter names.
// The Rust program declares them from this file (`sol!`), and the exported
// ABI in contracts/abi/ appends this file to the SDK's interface, which lists
// functions and unnamed errors only.

/// Tokens moved; `from` is zero for a mint and `to` is zero for a burn.
event Transfer(address indexed from, address indexed to, uint256 value);
/// `owner` allowed `spender` to move `value` of its tokens.
event Approval(address indexed owner, address indexed spender, uint256 value);
/// The token was initialised: `minter` may mint up to `cap`, and
/// `initialSupply` went to `holder`.
event Initialized(address indexed holder, address indexed minter, uint256 cap, uint256 initialSupply);

/// `caller` did not deploy this program, or it is already initialised.
error NotDeployer(address caller);
/// `caller` may not mint: only the minter may.
error NotMinter(address caller);
