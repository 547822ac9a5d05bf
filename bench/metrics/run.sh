#!/usr/bin/env bash
# bench/metrics: CPU cost of the Prometheus instrumentation per operation on the hot paths, with and
# without it (in-process, no backing services). Figures in docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
.venv/bin/python bench/metrics/run.py "$@"
