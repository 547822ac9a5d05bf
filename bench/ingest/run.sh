#!/usr/bin/env bash
# bench/ingest: POST /v2/notifications/sms with valid JWTs, through the real api-gateway, every 201
# only after the Kafka ack (acks=all), with Kafka, PostgreSQL and Redis on the same machine.
#   1. ceiling: a bare FastAPI endpoint, same server, same wrk run;
#   2. throughput: wrk -c 64 for DURATION seconds (default 30) against the api-gateway;
#   3. latency: an open-loop load at a constant 1,000 requests a second (bench/ingest/paced.py:
#      each request's latency counted from when it was due, so queueing is not hidden), p99 reported.
# Env: WORKERS (api-gateway processes, default 2), DURATION, PORT, RATE (open-loop rate, default 1000). Needs the backing services
# (bash deploy/local/infra.sh start). Installs wrk from Debian if missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source deploy/local/env.sh
WORKERS="${WORKERS:-2}"
DURATION="${DURATION:-30}"
PORT="${PORT:-6911}"
BARE_PORT="${BARE_PORT:-6912}"
if ! command -v wrk >/dev/null; then
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y wrk >/dev/null || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y wrk >/dev/null; }
fi
export BENCH_DIR="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$BENCH_DIR"; }
trap cleanup EXIT

PG_ADMIN="postgresql+psycopg://notify@127.0.0.1:${PG_PORT}"
eval "$(.venv/bin/python bench/ingest/setup_bench.py "$PG_ADMIN" notify_bench "$BENCH_DIR" "$((DURATION * 3 + 60))")"
export NOTIFY_DATABASE_URL="$BENCH_DATABASE_URL" NOTIFY_KAFKA_TOPIC_PREFIX="bench." NOTIFY_HTTP_PORT="$PORT"
export NOTIFY_HTTP_WORKERS="$WORKERS" NOTIFY_LOG_LEVEL=WARNING NOTIFY_REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/14"
.venv/bin/python -c "import asyncio; from notify_common.provision import provision_topics; from notify_common.settings import CommonSettings; asyncio.run(provision_topics(CommonSettings()))" >/dev/null

wait_up() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/$2" && return 0; sleep 0.2; done; echo "server on $1 not up" >&2; exit 1; }
run_wrk() { wrk -t 2 -c "$1" -d "${DURATION}s" --latency -s bench/ingest/post.lua "http://127.0.0.1:$2/v2/notifications/sms" | grep RESULT; }

BARE_PORT="$BARE_PORT" .venv/bin/python bench/ingest/bare.py & PIDS+=($!)
wait_up "$BARE_PORT" docs
echo "ceiling (bare FastAPI, 1 process), c=64:"; PACE_MS=0 run_wrk 64 "$BARE_PORT"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()

.venv/bin/notify-api-gateway & PIDS+=($!)
wait_up "$PORT" readyz
PACE_MS=0 wrk -t 1 -c 8 -d 3s -s bench/ingest/post.lua "http://127.0.0.1:$PORT/v2/notifications/sms" >/dev/null  # warm-up
echo "api-gateway ($WORKERS processes), c=64:"; PACE_MS=0 run_wrk 64 "$PORT"
echo "api-gateway ($WORKERS processes), open loop at a constant ${RATE:-1000}/s for ${DURATION}s:"
.venv/bin/python bench/ingest/paced.py "http://127.0.0.1:$PORT/v2/notifications/sms" "${RATE:-1000}" "$DURATION" "$BENCH_DIR"
echo "bulk: 5 x POST /v2/notifications/bulk of 20,000 rows each (checked, stored, job acked):"
.venv/bin/python bench/ingest/bulk.py "http://127.0.0.1:$PORT" "$BENCH_DIR" 5
.venv/bin/python - <<PY
import redis, os
r = redis.Redis.from_url(os.environ["NOTIFY_REDIS_URL"])
keys = r.keys("daily:{${BENCH_SERVICE_ID}}:sms:*")
print("single sends accepted (daily counter, = their 201s):", sum(int(r.get(k)) for k in keys))
PY
