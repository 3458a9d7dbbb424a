# Shared by Strand's scripts: paths, the pinned contract toolchain, and the
# list of Stylus programs. Source it; do not run it.

STRAND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONTRACTS="$STRAND_ROOT/contracts"

# The nightly that builds the deployable WASM (std rebuilt for MVP WASM,
# panics that trap without formatting). Tests and lints use stable.
CONTRACT_TOOLCHAIN=nightly-2026-05-20

# Stylus programs: crate directory under contracts/ and ABI name.
PROGRAMS=(gene:Gene staking:Staking datasets:Datasets ledger:Ledger)

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the pinned nightly with rust-src and the wasm32 target, once.
ensure_contract_toolchain() {
  command -v rustup >/dev/null || die "rustup not found: install Rust with rustup (rustup.rs)"
  local installed
  installed=$(rustup component list --toolchain "$CONTRACT_TOOLCHAIN" --installed 2>/dev/null || true)
  if ! grep -q '^rust-src' <<<"$installed"; then
    step "installing Rust $CONTRACT_TOOLCHAIN with rust-src (builds the WASM)"
    rustup toolchain install "$CONTRACT_TOOLCHAIN" --profile minimal \
      --component rust-src --target wasm32-unknown-unknown
  fi
}

# The C toolchain and OpenSSL headers that native test builds link against
# (motsu's HTTP stack builds openssl-sys). Installs them with apt-get when
# running as root on Debian, otherwise says what to install.
ensure_system_packages() {
  local missing=()
  command -v cc >/dev/null || missing+=(build-essential)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
  [ "${#missing[@]}" -eq 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    die "missing system packages: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})"
  fi
}

# Installs the npm tools (wasm-opt) pinned in package-lock.json, once.
ensure_npm_tools() {
  command -v npm >/dev/null || die "npm not found: install Node.js 20 or later with npm (Debian 12 ships Node 18: use Debian 13 or NodeSource)"
  if [ ! -x "$STRAND_ROOT/node_modules/.bin/wasm-opt" ]; then
    step "installing npm tools (binaryen's wasm-opt)"
    (cd "$STRAND_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
