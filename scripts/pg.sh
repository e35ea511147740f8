#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite: `scripts/pg.sh start` / `scripts/pg.sh stop`.
#
# start: installs Debian's postgresql package if initdb/pg_ctl are missing, runs initdb into a temporary
# folder as an unprivileged user (PostgreSQL refuses to run as root: as root we use the `postgres` account
# the package creates), listens only on 127.0.0.1 on a free port with trust auth and fsync off (tests only),
# creates the database okrbot_test and prints `export OKRBOT_TEST_PG_URL=...` (also written to $STATE/env).
# stop: stops that server and removes the folder. Both are safe to repeat.
# down / up: stop the server but keep its folder (`down [fast|immediate]`, default fast), and start it again on
# the same port: a database restart, for the outage tests (tests/reliability/test_pg_outage.py).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${OKRBOT_PG_STATE:-$PWD/.pg-test}  # per worktree: records where the running cluster lives

find_bin() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  return 1
}

install_pg() {
  echo "pg.sh: PostgreSQL not found; installing Debian's postgresql package" >&2
  [ "$(id -u)" = 0 ] || { echo "pg.sh: need root to apt-get install postgresql" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
}

# Run a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if [ -f "$STATE/env" ] && [ -d "$(cat "$STATE/dir" 2>/dev/null)" ] \
    && as_owner "$(cat "$STATE/bin")/pg_ctl" -D "$(cat "$STATE/dir")/data" status >/dev/null 2>&1; then
    cat "$STATE/env"  # already running: idempotent
    return
  fi
  stop >/dev/null 2>&1 || true
  local bin user dir port
  bin=$(find_bin) || { install_pg; bin=$(find_bin); }
  if [ "$(id -u)" = 0 ]; then user=postgres; else user=$(id -un); fi
  dir=$(mktemp -d /tmp/okrbot-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  mkdir -p "$STATE"
  echo "$dir" >"$STATE/dir"
  echo "$bin" >"$STATE/bin"
  port=$(free_port)
  echo "$port" >"$STATE/port"
  as_owner "$bin/initdb" -D "$dir/data" -U "$user" -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  run_server
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" okrbot_test
  echo "export OKRBOT_TEST_PG_URL=postgresql://$user@127.0.0.1:$port/okrbot_test" >"$STATE/env"
  cat "$STATE/env"
}

# Start the recorded cluster on its recorded port (after start's initdb, or after `down`).
run_server() {
  local dir bin port sync_commit
  dir=$(cat "$STATE/dir") bin=$(cat "$STATE/bin") port=$(cat "$STATE/port")
  # Off by default (fast tests), which lets a crash (`down immediate`) lose the last commits a client was told
  # of; OKRBOT_PG_SYNC_COMMIT=on makes every acknowledged commit survive one, as on a production server.
  sync_commit=${OKRBOT_PG_SYNC_COMMIT:-off}
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=$sync_commit \
        -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
}

down() {
  as_owner "$(cat "$STATE/bin")/pg_ctl" -D "$(cat "$STATE/dir")/data" -m "${1:-fast}" -w stop >/dev/null
}

stop() {
  [ -f "$STATE/dir" ] || return 0
  local dir bin
  dir=$(cat "$STATE/dir")
  bin=$(cat "$STATE/bin" 2>/dev/null || find_bin)
  if [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  case "$dir" in /tmp/okrbot-pg.*) rm -rf "$dir" ;; esac
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  down) down "${2:-fast}" ;;
  up) run_server ;;
  *) echo "usage: scripts/pg.sh start|stop|down [fast|immediate]|up" >&2; exit 2 ;;
esac
