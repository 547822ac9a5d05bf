#!/usr/bin/env bash
# bench/send: one sms-sender against the provider simulator, then the crash test at the issue's
# size (10,000 SMS, three SIGKILLs). Figures in docs/benchmarks-send.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bash deploy/local/infra.sh start >/dev/null
.venv/bin/python bench/send/run.py "$@"
echo "crash test: 10,000 SMS, sms-sender killed with SIGKILL three times"
NOTIFY_CRASH_TEST_MESSAGES=10000 .venv/bin/pytest tests/e2e/senders/test_sms_crash.py -q -s -p no:cacheprovider \
  -o timeout=900 | grep -E "kills at|passed|failed"
