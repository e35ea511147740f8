#!/usr/bin/env bash
# Set up, check the import contracts and the style, run the whole test suite (pass -m "not slow" for a
# quick local loop), then the benchmarks at a tiny size (only to keep them working).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/lint-imports
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
if [ -f benchmarks/__main__.py ]; then
  .venv/bin/python -m benchmarks --tiny
fi
