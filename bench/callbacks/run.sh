#!/usr/bin/env bash
# bench/callbacks: CPU of the callbacks service per notification, with no callback configured and
# with a callback for every notification to a local receiver answering 200, against the real Kafka
# and PostgreSQL of deploy/local. Env: NOTIFICATIONS (default 20000), WITH_CALLBACKS (default 2000).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source deploy/local/env.sh
.venv/bin/python bench/callbacks/run.py "${NOTIFICATIONS:-20000}" "${WITH_CALLBACKS:-2000}"
