#!/usr/bin/env bash
# bench/bulk: a 100,000-row SMS CSV from upload until every row has been handed to the provider
# simulator, with single API texts from another service at 20/s meanwhile (their p50/p99 from 201
# to the simulator); then the same file with receipts on and every service of the lifecycle
# running, until every row's delivered status is in the projection with no receipt dropped.
# NOTIFY_BULK_ROWS=1000000 runs the 1,000,000-row file instead (the splitter's peak RSS is
# reported; single texts are off); NOTIFY_BULK_RECEIPTS=1 runs only the run with receipts.
# Figures in docs/benchmarks-bulk.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bash deploy/local/infra.sh start >/dev/null
if [[ -z "${NOTIFY_BULK_RECEIPTS:-}" ]]; then
  .venv/bin/python bench/bulk/run.py "$@"
fi
.venv/bin/python bench/bulk/run.py --receipts "$@"
