#!/usr/bin/env bash
# See okrbot work without a Slack workspace: one OKR week against a local Slack stand-in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m devtools.demo
