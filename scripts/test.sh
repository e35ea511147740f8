#!/usr/bin/env bash
# Set up, check the import contracts and the style, run the whole test suite on SQLite (two xdist workers; pass -m "not slow" for a
# quick local loop), the storage and durability tests again with the threaded SQLite driver, then the storage, scenario and reliability suites again on a
# throwaway PostgreSQL server (scripts/pg.sh; two xdist workers, each test in its own database), and the
# benchmarks at a tiny size (only to keep them working). OKRBOT_PG_PASS=0 skips the PostgreSQL pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/lint-imports
.venv/bin/ruff check .
.venv/bin/ruff format --check .
started=$SECONDS
env -u OKRBOT_TEST_PG_URL .venv/bin/python -m pytest -n 2 "$@"
echo "test.sh: SQLite pass took $((SECONDS - started)) s"
# SQLite runs write transactions on the event loop by default (OKRBOT_SQLITE_INLINE); the threaded driver, its
# opt-out, passes the storage suite and the subprocess durability stories too (~20 s).
OKRBOT_TEST_SQLITE_INLINE=0 OKRBOT_SQLITE_INLINE=0 env -u OKRBOT_TEST_PG_URL .venv/bin/python -m pytest -n 2 -q \
  tests/storage tests/reliability/test_inbox_durability.py tests/reliability/test_work_process.py
if [ "${OKRBOT_PG_PASS:-1}" != 0 ]; then
  trap 'bash scripts/pg.sh stop' EXIT
  pg_env=$(bash scripts/pg.sh start)  # not inside eval "$(...)": that would hide a failed start
  eval "$pg_env"
  started=$SECONDS
  .venv/bin/python -m pytest -n 2 tests/storage tests/scenario tests/reliability
  echo "test.sh: PostgreSQL pass took $((SECONDS - started)) s"
  bash scripts/pg.sh stop
  trap - EXIT
fi
if [ -f benchmarks/__main__.py ]; then
  .venv/bin/python -m benchmarks --tiny
fi
