#!/usr/bin/env bash
# Builds the Stylus programs into the WASM that deployment compresses and
# sends, writes it to contracts/artifacts/<program>.wasm, and prints each
# program's raw and brotli-compressed size. Fails if any program is over
# the chain's 24 KiB limit.
#
# The build: the pinned nightly rebuilds std for MVP WASM with bulk memory
# (stable's prebuilt std carries reference types, which Stylus rejects),
# then wasm-opt -Oz shrinks it with only the features Stylus accepts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_contract_toolchain
ensure_npm_tools

step "building Stylus programs ($CONTRACT_TOOLCHAIN, release, wasm32)"
# One cargo run per program: built together, cargo would unify features, and
# openzeppelin-stylus (GENE, staking) turns on alloy's WASM keccak, which
# would then replace the host's keccak in the programs that do without it.
for p in "${PROGRAMS[@]}"; do
  (cd "$CONTRACTS" && cargo "+$CONTRACT_TOOLCHAIN" build --locked --release \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort -p "strand-${p%%:*}")
done

mkdir -p "$CONTRACTS/artifacts"
artifacts=()
for p in "${PROGRAMS[@]}"; do
  name=${p%%:*}
  "$STRAND_ROOT/node_modules/.bin/wasm-opt" \
    --mvp-features --enable-bulk-memory-opt --enable-sign-ext --enable-mutable-globals \
    -Oz --converge --strip-debug --strip-producers \
    "$CONTRACTS/target/wasm32-unknown-unknown/release/strand_${name}.wasm" \
    -o "$CONTRACTS/artifacts/$name.wasm"
  artifacts+=("$CONTRACTS/artifacts/$name.wasm")
done

step "sizes (limit 24,576 bytes compressed)"
(cd "$STRAND_ROOT" && cargo run --locked -q -p strand-stylus --bin strand-wasm-size -- "${artifacts[@]}")
