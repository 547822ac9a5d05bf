#!/usr/bin/env bash
# bench/project: events projected per second during a rebuild (notify-projector rebuild), against
# the real Kafka and PostgreSQL of deploy/local. Env: NOTIFICATIONS (default 50000).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source deploy/local/env.sh
.venv/bin/python bench/project/run.py "${NOTIFICATIONS:-50000}"
