#!/usr/bin/env bash
# Strand's local devnet: a Stylus-enabled anvil (arbos-anvil) and a
# PostgreSQL cluster of the project's own, both on loopback, both under the
# ignored .devnet/ folder.
#
#   scripts/devnet.sh up       start what is not running; wait until it answers
#   scripts/devnet.sh down     stop exactly what `up` started
#   scripts/devnet.sh status   say what runs where
#   scripts/devnet.sh db       PostgreSQL alone (for the tests); prints its URL
#   scripts/devnet.sh db-stop  stop PostgreSQL
#
# Settings (environment):
#   ANVIL_BIN            the arbos-anvil binary (default: arbos-anvil on PATH)
#   STRAND_RPC_URL       use this Stylus chain instead of starting arbos-anvil
#   STRAND_ANVIL_PORT    default 8547
#   STRAND_PG_PORT       default 5433
#   STRAND_CHAIN_ID      default 31337
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEVNET="$STRAND_ROOT/.devnet"
STATE="$DEVNET/state.env"
ANVIL_PORT=${STRAND_ANVIL_PORT:-8547}
PG_PORT=${STRAND_PG_PORT:-5433}
CHAIN_ID=${STRAND_CHAIN_ID:-31337}
PGDATA="$DEVNET/pg"
# As root, PostgreSQL runs as the postgres user (see pg_as), which must be
# able to reach its cluster. A checkout inside a private folder (/root, a
# `mktemp -d`) is out of its reach: the cluster then lives in a folder of
# this checkout's own under /var/tmp.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 \
  && ! runuser -u postgres -- test -x "$STRAND_ROOT"; then
  PGDATA="/var/tmp/strand-pg-$(printf %s "$STRAND_ROOT" | cksum | cut -d' ' -f1)/pg"
fi
PGHOME=$(dirname "$PGDATA")

# PostgreSQL refuses to run as root; as root, run it as the postgres user.
pg_as() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "PostgreSQL will not run as root and there is no postgres user: create one (useradd -r postgres) or run as another user"
    # From /: the postgres user may not be allowed into the current folder.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null; then command -v "$name"; return; fi
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  die "$name not found: install PostgreSQL 15 or later (Debian: apt-get install postgresql)"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

load_state() {
  ANVIL_PID="" PG_STARTED="" RPC_URL=""
  [ -f "$STATE" ] || return 0
  # What `up` started is read back; a port set in the environment wins
  # over the recorded one.
  local v
  v=$(sed -n 's/^PG_PORT=//p' "$STATE")
  [ -z "${STRAND_PG_PORT:-}" ] && [ -n "$v" ] && PG_PORT=$v
  v=$(sed -n 's/^ANVIL_PORT=//p' "$STATE")
  [ -z "${STRAND_ANVIL_PORT:-}" ] && [ -n "$v" ] && ANVIL_PORT=$v
  ANVIL_PID=$(sed -n 's/^ANVIL_PID=//p' "$STATE")
  RPC_URL=$(sed -n 's/^RPC_URL=//p' "$STATE")
  PG_STARTED=$(sed -n 's/^PG_STARTED=//p' "$STATE")
  # A recorded PID is ours only while it is still arbos-anvil.
  if [ -n "$ANVIL_PID" ] && ! tr '\0' ' ' <"/proc/$ANVIL_PID/cmdline" 2>/dev/null | grep anvil >/dev/null; then
    ANVIL_PID=""
  fi
  return 0
}

# Written as KEY=value lines for people and tools to read; never sourced.
save_state() {
  mkdir -p "$DEVNET"
  {
    echo "ANVIL_PID=$ANVIL_PID"
    echo "ANVIL_PORT=$ANVIL_PORT"
    echo "RPC_URL=$RPC_URL"
    echo "CHAIN_ID=$CHAIN_ID"
    echo "PG_STARTED=$PG_STARTED"
    echo "PG_PORT=$PG_PORT"
    echo "DATABASE_URL=postgres://strand@127.0.0.1:$PG_PORT/strand"
  } >"$STATE"
}

rpc_answers() {
  curl -s --max-time 2 -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$1" | grep -q '"result"'
}

wait_for() { # description, seconds, command...
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || die "$what did not answer within ${limit}s (logs in .devnet/)"
    sleep 0.2
  done
}

start_anvil() {
  if [ -n "${STRAND_RPC_URL:-}" ]; then
    RPC_URL=$STRAND_RPC_URL ANVIL_PID=""
    rpc_answers "$RPC_URL" || die "STRAND_RPC_URL=$RPC_URL does not answer eth_chainId"
    echo "chain: using STRAND_RPC_URL=$RPC_URL"
    return
  fi
  if alive "$ANVIL_PID"; then
    echo "chain: arbos-anvil already running (pid $ANVIL_PID) at $RPC_URL"
    return
  fi
  local bin
  bin=$(command -v "${ANVIL_BIN:-arbos-anvil}") || die "${ANVIL_BIN:-arbos-anvil} not found: Strand needs a Stylus devnet. Install arbos-anvil with its installer arbos-foundryup (github.com/iosiro/arbos-foundry), name it with ANVIL_BIN, or point STRAND_RPC_URL at a Stylus chain."
  mkdir -p "$DEVNET"
  RPC_URL="http://127.0.0.1:$ANVIL_PORT"
  rpc_answers "$RPC_URL" && die "something else already answers on port $ANVIL_PORT: stop it or set STRAND_ANVIL_PORT"
  setsid "$bin" --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id "$CHAIN_ID" \
    >"$DEVNET/anvil.log" 2>&1 </dev/null &
  ANVIL_PID=$!
  save_state
  wait_for "arbos-anvil" 60 rpc_answers "$RPC_URL"
  echo "chain: arbos-anvil (pid $ANVIL_PID) at $RPC_URL, chain id $CHAIN_ID"
}

pg_ready() { "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT"; }

start_postgres() {
  local initdb pg_ctl
  initdb=$(pg_bin initdb) pg_ctl=$(pg_bin pg_ctl)
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$DEVNET" "$PGDATA"
    [ "$(id -u)" = 0 ] && chown -R postgres "$PGHOME" && chmod 700 "$PGDATA"
    pg_as "$initdb" -D "$PGDATA" -U strand --auth=trust -E UTF8 >"$DEVNET/initdb.log" 2>&1 \
      || die "initdb failed: see .devnet/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$PGHOME"
  if pg_as "$pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    echo "database: PostgreSQL already running on port $PG_PORT"
    return
  fi
  pg_as "$pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -k '$PGDATA' -c listen_addresses=127.0.0.1" start >/dev/null \
    || die "PostgreSQL did not start: see $PGDATA/server.log"
  PG_STARTED=1
  save_state
  wait_for "PostgreSQL" 30 pg_ready
  "$(pg_bin psql)" -q -h 127.0.0.1 -p "$PG_PORT" -U strand -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'strand'" | grep -q 1 \
    || "$(pg_bin createdb)" -h 127.0.0.1 -p "$PG_PORT" -U strand strand
  echo "database: PostgreSQL on port $PG_PORT (postgres://strand@127.0.0.1:$PG_PORT/strand)"
}

up() {
  command -v curl >/dev/null || die "curl not found (Debian: apt-get install curl)"
  load_state
  start_anvil
  save_state
  start_postgres
  save_state
  echo "devnet up; settings in .devnet/state.env"
}

down() {
  load_state
  if alive "$ANVIL_PID"; then
    kill "$ANVIL_PID"
    for _ in $(seq 50); do alive "$ANVIL_PID" || break; sleep 0.1; done
    alive "$ANVIL_PID" && kill -9 "$ANVIL_PID"
    echo "chain: stopped arbos-anvil (pid $ANVIL_PID)"
  fi
  if [ -f "$PGDATA/PG_VERSION" ] && pg_as "$(pg_bin pg_ctl)" -D "$PGDATA" status >/dev/null 2>&1; then
    pg_as "$(pg_bin pg_ctl)" -D "$PGDATA" -m fast -w stop >/dev/null
    echo "database: stopped PostgreSQL"
  fi
  ANVIL_PID="" PG_STARTED=""
  [ -d "$DEVNET" ] && save_state
  echo "devnet down"
}

status() {
  load_state
  local rc=0
  if [ -n "${STRAND_RPC_URL:-}" ]; then
    rpc_answers "$STRAND_RPC_URL" && echo "chain: STRAND_RPC_URL=$STRAND_RPC_URL answers" \
      || { echo "chain: STRAND_RPC_URL=$STRAND_RPC_URL does not answer"; rc=1; }
  elif alive "$ANVIL_PID"; then
    echo "chain: arbos-anvil running (pid $ANVIL_PID) at $RPC_URL"
  else
    echo "chain: not running"; rc=1
  fi
  if [ -f "$PGDATA/PG_VERSION" ] && pg_ready 2>/dev/null; then
    echo "database: PostgreSQL running on port $PG_PORT"
  else
    echo "database: not running"; rc=1
  fi
  return $rc
}

# PostgreSQL alone, for the tests: `db` starts it (if it is not running)
# and prints its URL; `db-stop` stops it.
db() {
  load_state
  start_postgres >&2
  save_state
  echo "postgres://strand@127.0.0.1:$PG_PORT/strand"
}

db_stop() {
  load_state
  if [ -f "$PGDATA/PG_VERSION" ] && pg_as "$(pg_bin pg_ctl)" -D "$PGDATA" status >/dev/null 2>&1; then
    pg_as "$(pg_bin pg_ctl)" -D "$PGDATA" -m fast -w stop >/dev/null
    echo "database: stopped PostgreSQL" >&2
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  db) db ;;
  db-stop) db_stop ;;
  *) echo "usage: scripts/devnet.sh up|down|status|db|db-stop" >&2; exit 2 ;;
esac
