#!/usr/bin/env bash
# Strand's test command (README, .ci/run): installs what the tests need on a
# fresh machine, then runs formatting and lint checks, the contract tests
# (motsu, proptest), the off-chain tests, the deployable WASM build with its
# size limits, and the ABI drift check.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v rustup >/dev/null || die "rustup not found: install Rust from rustup.rs"
step "toolchains"
rustup component add clippy rustfmt >/dev/null
ensure_contract_toolchain
ensure_npm_tools

step "formatting"
(cd "$STRAND_ROOT" && cargo fmt --all --check)
(cd "$CONTRACTS" && cargo fmt --all --check)

step "lints"
(cd "$STRAND_ROOT" && cargo clippy --locked --workspace --all-targets -- -D warnings)
(cd "$CONTRACTS" && cargo clippy --locked --workspace --all-targets -- -D warnings)

step "contract tests (motsu, proptest)"
(cd "$CONTRACTS" && cargo test --locked --workspace)

step "off-chain tests"
(cd "$STRAND_ROOT" && cargo test --locked --workspace)

"$STRAND_ROOT/scripts/build-contracts.sh"

step "ABI drift check"
"$STRAND_ROOT/scripts/export-abi.sh" --check

step "all checks passed"
