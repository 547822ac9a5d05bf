#!/usr/bin/env bash
# bench/analytics: events consumed per second by one analytics worker catching up on a backlog,
# against the real Kafka of deploy/local. Env: NOTIFICATIONS (default 30000, three events each).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source deploy/local/env.sh
PYTHONPATH="$ROOT" .venv/bin/python bench/analytics/run.py "${NOTIFICATIONS:-30000}"
