#!/usr/bin/env bash
# Exports each Stylus program's Solidity ABI into contracts/abi/<Name>.sol
# with the SDK's export-abi (plus the program's abi.sol: events and named
# errors, which the SDK does not export).
#
#   scripts/export-abi.sh          rewrite the files
#   scripts/export-abi.sh --check  fail if the committed files differ
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

check=false
case "${1:-}" in
  --check) check=true ;;
  -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "usage: scripts/export-abi.sh [--check]" ;;
esac

mkdir -p "$CONTRACTS/abi"
stale=()
for p in "${PROGRAMS[@]}"; do
  crate=${p%%:*} name=${p##*:}
  out=$(cd "$CONTRACTS" && cargo run --locked -q -p "strand-$crate" \
    --features export-abi --bin "strand-$crate-abi" 2>/dev/null) \
    || die "export-abi failed for $crate (run: cd contracts && cargo run -p strand-$crate --features export-abi --bin strand-$crate-abi)"
  file="$CONTRACTS/abi/$name.sol"
  if $check; then
    if ! diff -u "$file" <(printf '%s\n' "$out") >&2; then stale+=("$file"); fi
  else
    printf '%s\n' "$out" >"$file"
    echo "wrote ${file#"$STRAND_ROOT"/}"
  fi
done
if [ "${#stale[@]}" -gt 0 ]; then
  die "ABI out of date: ${stale[*]#"$STRAND_ROOT"/}; run scripts/export-abi.sh and commit the result"
fi
$check && echo "ABI files match the contract sources"
exit 0
