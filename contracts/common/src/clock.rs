//! The time every Strand program reads.
//!
//! On the chain this is the block timestamp. Native builds (motsu tests)
//! have no chain that moves, so they read a per-thread clock that starts at
//! motsu's fixed block time and that tests move with [`advance`].

#[cfg(target_arch = "wasm32")]
/// The current block timestamp, in seconds.
pub fn now() -> u64 {
    // The free function rather than `vm.block_timestamp()`: a `dyn Host`
    // keeps every host function in the binary (see the ledger's imports).
    #[allow(deprecated)]
    stylus_sdk::block::timestamp()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use core::cell::Cell;

    std::thread_local! {
        static OFFSET: Cell<u64> = const { Cell::new(0) };
    }

    /// The current time: the test VM's block timestamp plus the seconds
    /// moved by [`advance`] on this thread.
    pub fn now() -> u64 {
        #[allow(deprecated)]
        let block = stylus_sdk::block::timestamp();
        block + OFFSET.with(Cell::get)
    }

    /// Moves this thread's clock forward by `seconds`.
    pub fn advance(seconds: u64) {
        OFFSET.with(|o| o.set(o.get() + seconds));
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{advance, now};
