#!/usr/bin/env bash
# bench/simulator: the provider simulator's own CPU per receipt (20,000 sends with receipts off,
# then on). Figures in docs/benchmarks-bulk.md ("The provider simulator's receipts").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
.venv/bin/python bench/simulator/run.py "$@"
