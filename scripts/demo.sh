#!/usr/bin/env bash
# The whole Strand story on real genomes: brings the devnet up if it is not,
# builds the programs and the binaries, deploys (reusing a deployment whose
# code matches), starts the indexer, and drives the real `strand` CLI
# through twenty owners, one researcher and one operator. Ends with who
# holds what, the answer and the audit trail as the indexer serves it;
# exits non-zero if any step or cross-check fails. Safe to run again.
#
#   scripts/demo.sh
#
# Uses STRAND_RPC_URL instead of arbos-anvil when it is set (any Stylus
# chain whose first development accounts are funded and that answers
# evm_increaseTime).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$STRAND_ROOT"

case "${1:-}" in
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "usage: scripts/demo.sh (no arguments; see --help)" ;;
esac

# Fail before any build when there is no Stylus chain to run on.
if [ -z "${STRAND_RPC_URL:-}" ] && ! command -v "${ANVIL_BIN:-arbos-anvil}" >/dev/null; then
  die "the demo needs a Stylus devnet: arbos-anvil is not on PATH. Install it with its installer arbos-foundryup (github.com/iosiro/arbos-foundry), name the binary with ANVIL_BIN, or point STRAND_RPC_URL at a running Stylus chain."
fi

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (rustup.rs)"
ensure_system_packages
step "building the Stylus programs"
"$STRAND_ROOT/scripts/build-contracts.sh"
step "building strand, strand-indexer and strand-demo"
cargo build --locked -q -p strand-cli -p strand-indexer -p strand-e2e --bins

step "devnet"
"$STRAND_ROOT/scripts/devnet.sh" up
state() { sed -n "s/^$1=//p" "$STRAND_ROOT/.devnet/state.env"; }
RPC_URL=$(state RPC_URL)
DATABASE_URL=$(state DATABASE_URL)

step "the story"
exec target/debug/strand-demo --strand target/debug/strand --indexer target/debug/strand-indexer \
  --rpc-url "$RPC_URL" --database-url "$DATABASE_URL"
