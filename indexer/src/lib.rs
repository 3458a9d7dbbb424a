//! `strand-indexer`: a PostgreSQL mirror of every event Strand's programs
//! emit, with current-state projections and a read API.
//!
//! Exactly once: a batch of blocks (its decoded events, the projection
//! changes they cause, the block hashes kept for parent checks, and the
//! checkpoint) commits in one transaction, and every event row is keyed by
//! (block hash, log index), so a crash between batches loses nothing and a
//! replay duplicates nothing. No transaction stays open across an RPC call:
//! a batch is fetched whole, then written.
//!
//! Reorgs: near the head every block's parent hash is checked against the
//! stored window; on a mismatch the indexer finds the newest block the node
//! and the database agree on and rolls back everything above it (events,
//! window, checkpoint, and projection rows, restored from the undo log the
//! database keeps for blocks inside the window) in one transaction. The
//! window is re-checked at start-up. `--confirmations N` indexes only
//! blocks N below the head.

pub mod abi;
pub mod api;
pub mod heads;
pub mod project;
pub mod store;
pub mod sync;
