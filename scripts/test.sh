#!/usr/bin/env bash
# Strand's test command (README, .ci/run): installs what the tests need on a
# fresh machine, then runs formatting and lint checks, the contract tests
# (motsu, proptest), the off-chain tests, the deployable WASM build with its
# size limits, and the ABI drift check.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v rustup >/dev/null || die "rustup not found: install Rust from rustup.rs"
step "toolchains"
ensure_system_packages
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

# Before the off-chain tests: the end-to-end tests deploy these artifacts.
"$STRAND_ROOT/scripts/build-contracts.sh"

step "PostgreSQL for the indexer's tests"
if [ -z "${DATABASE_URL:-}" ]; then
  if ! "$STRAND_ROOT/scripts/devnet.sh" status 2>/dev/null | grep -q '^database: PostgreSQL running'; then
    trap '"$STRAND_ROOT/scripts/devnet.sh" db-stop' EXIT
  fi
  DATABASE_URL=$("$STRAND_ROOT/scripts/devnet.sh" db)
  export DATABASE_URL
fi
echo "DATABASE_URL=$DATABASE_URL"

step "off-chain tests"
if [ -z "${STRAND_RPC_URL:-}" ] && [ -z "${ANVIL_BIN:-}" ] && ! command -v arbos-anvil >/dev/null; then
  echo "end-to-end tests will skip: no Stylus devnet (arbos-anvil is not on PATH; ANVIL_BIN and STRAND_RPC_URL are unset)" >&2
fi
(cd "$STRAND_ROOT" && cargo test --locked --workspace)

step "ABI drift check"
"$STRAND_ROOT/scripts/export-abi.sh" --check

step "all checks passed"
