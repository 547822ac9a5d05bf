#!/usr/bin/env bash
# bench/receipts: the receipts service's CPU per notification, with send events and MMG receipts
# at 300/s for 20 s. Figures in docs/benchmarks.md ("The receipts service").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
.venv/bin/python bench/receipts/run.py "$@"
