#!/usr/bin/env bash
# Set up, then run the whole test suite and the benchmarks at a tiny size (only to keep them working).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
if [ -f benchmarks/__main__.py ]; then
  .venv/bin/python -m benchmarks --tiny
fi
