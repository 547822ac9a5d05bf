#!/usr/bin/env bash
# `make bench`: runs every benchmark in bench/. Each one that needs the platform's backing services
# starts them through deploy/local (they stay up; `make down` stops them). Results go to stdout;
# the recorded figures are in docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash deploy/local/install.sh >/dev/null
echo "==> bench/codec"
.venv/bin/python bench/codec/run.py
for script in bench/*/run.sh; do
  [[ -f "$script" ]] || continue
  echo "==> ${script%/run.sh}"
  bash "$script"
done
