#!/usr/bin/env bash
# bench/platform/series.sh: one series of whole-platform lines, the way docs/benchmarks.md compares
# two builds (run it from each build's checkout in turn, alternating, each on a state folder of its
# own). See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/platform/series.sh [--help] LINE [LINE ...]

Starts a platform of the benchmark's own from this checkout (make up, without the install step),
runs each LINE as one bench/platform/run.py run on services restarted just before it, then stops
that platform (make down: only the processes it started). A LINE is CHANNEL:RATE[:cb], e.g.
sms:1500 or sms:1000:cb (a delivery-status callback for every notification). Each line sends for
20 s after a warm-up at its rate: 40 s before the platform's first line, 10 s before the others.

The platform runs on its own ports and state folder, so it can run beside the developer's:
  NOTIFY_STATE_DIR    state folder (default: .local/bench-series in this checkout); a fresh one
                      for each build compared, since a folder's size moves every figure
  NOTIFY_LOCAL_*_PORT, NOTIFY_LOCAL_SERVICE_PORT_OFFSET
                      the ports (default: those of the second-platform example in
                      docs/benchmarks.md, "Whole platform")
  NOTIFY_KAFKA_LIBS_DIR
                      Kafka's jars (default: the state folder's if it has them, else those
                      deploy/local/install.sh puts under this checkout's .local, installed first
                      if missing)
  SERIES_WARMUP_FIRST, SERIES_WARMUP, SERIES_SECONDS
                      warm-up and load seconds (40, 10, 20)

The services are started with NOTIFY_CALLBACK_ALLOWED_NETWORKS=127.0.0.1/32 and SSL_CERT_FILE
naming the benchmark's receiver certificate, so callbacks to the local receiver are allowed.
Each line prints bench/platform/run.py's output, including its RESULT line of JSON.

Example, two builds alternately:
  (cd ../before && NOTIFY_STATE_DIR=/tmp/s-before bash bench/platform/series.sh sms:1500 sms:1000:cb)
  (cd ../after  && NOTIFY_STATE_DIR=/tmp/s-after  bash bench/platform/series.sh sms:1500 sms:1000:cb)
EOF
}

[[ $# -gt 0 ]] || { usage >&2; exit 2; }
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    sms:[0-9]* | email:[0-9]*) ;;
    *) echo "series.sh: not a line: $arg (CHANNEL:RATE[:cb], e.g. sms:1500)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export NOTIFY_STATE_DIR="${NOTIFY_STATE_DIR:-$ROOT/.local/bench-series}" NOTIFY_LOCAL_SKIP_INSTALL=1 \
  NOTIFY_LOCAL_KAFKA_PORT="${NOTIFY_LOCAL_KAFKA_PORT:-29392}" \
  NOTIFY_LOCAL_KAFKA_CONTROLLER_PORT="${NOTIFY_LOCAL_KAFKA_CONTROLLER_PORT:-29393}" \
  NOTIFY_LOCAL_PG_PORT="${NOTIFY_LOCAL_PG_PORT:-25732}" NOTIFY_LOCAL_REDIS_PORT="${NOTIFY_LOCAL_REDIS_PORT:-26679}" \
  NOTIFY_LOCAL_MOTO_PORT="${NOTIFY_LOCAL_MOTO_PORT:-25355}" \
  NOTIFY_LOCAL_PROMETHEUS_PORT="${NOTIFY_LOCAL_PROMETHEUS_PORT:-29390}" \
  NOTIFY_LOCAL_SERVICE_PORT_OFFSET="${NOTIFY_LOCAL_SERVICE_PORT_OFFSET:-370}"
# Kafka's jars: those deploy/local/install.sh put under this checkout's .local, unless the state
# folder has its own (the install step is skipped, to start quickly and the same way each time).
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/local/kafka/pom.xml)"
if [[ -z "${NOTIFY_KAFKA_LIBS_DIR:-}" && ! -f "$NOTIFY_STATE_DIR/kafka/libs-$kafka_version/.complete" ]]; then
  if [[ ! -x .venv/bin/python || ! -f "$ROOT/.local/kafka/libs-$kafka_version/.complete" ]]; then
    env -u NOTIFY_STATE_DIR bash deploy/local/install.sh
  fi
  export NOTIFY_KAFKA_LIBS_DIR="$ROOT/.local/kafka/libs-$kafka_version"
fi

# The receiver's certificate, made before the services start so they can trust it.
cert="$NOTIFY_STATE_DIR/bench/callback-cert.pem" key="$NOTIFY_STATE_DIR/bench/callback-key.pem"
mkdir -p "$NOTIFY_STATE_DIR/bench" "$NOTIFY_STATE_DIR/logs"
if [[ ! -f "$cert" || ! -f "$key" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$key" -out "$cert" 2>/dev/null
fi
export NOTIFY_CALLBACK_ALLOWED_NETWORKS=127.0.0.1/32 SSL_CERT_FILE="$cert"

log="$NOTIFY_STATE_DIR/logs/bench-series.log"
echo "==> $(date -u +%T) $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $NOTIFY_STATE_DIR; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "==> make up (log in $log)"
trap 'echo "==> make down"; bash deploy/local/down.sh >>"$log" 2>&1' EXIT
bash deploy/local/up.sh >"$log" 2>&1 || { echo "make up failed: see $log" >&2; exit 1; }
first=1
for line in "$@"; do
  IFS=: read -r channel rate cb <<<"$line"
  if ((first)); then
    warmup="${SERIES_WARMUP_FIRST:-40}"; first=0
  else
    warmup="${SERIES_WARMUP:-10}"
    echo "==> restarting the services"
    { bash deploy/local/services.sh stop && bash deploy/local/services.sh start; } >>"$log" 2>&1
  fi
  extra=(); [[ "$cb" == cb ]] && extra=(--callbacks)
  echo "==> $(date -u +%T) $line (warm-up ${warmup} s); load $(cut -d' ' -f1-3 /proc/loadavg)"
  .venv/bin/python bench/platform/run.py --no-up --channel "$channel" --rates "$rate" \
    --seconds "${SERIES_SECONDS:-20}" --warmup "$warmup" "${extra[@]}"
done
