#!/usr/bin/env bash
# Shared settings and helpers for the local platform scripts. Sourced, never run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${NOTIFY_STATE_DIR:-$ROOT/.local}"
RUN="$STATE/run"
LOGS="$STATE/logs"
mkdir -p "$RUN" "$LOGS"

# Ports: all on 127.0.0.1, away from the defaults so a system PostgreSQL or Redis is never disturbed.
KAFKA_PORT="${NOTIFY_LOCAL_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${NOTIFY_LOCAL_KAFKA_CONTROLLER_PORT:-19093}"
PG_PORT="${NOTIFY_LOCAL_PG_PORT:-15432}"
REDIS_PORT="${NOTIFY_LOCAL_REDIS_PORT:-16379}"
MOTO_PORT="${NOTIFY_LOCAL_MOTO_PORT:-15055}"
# The platform's own services listen on 6011-6030 (services.sh); NOTIFY_LOCAL_SERVICE_PORT_OFFSET
# moves them all by that much, so a second platform (the fault suite's make-down/make-up case, with
# NOTIFY_STATE_DIR and the ports above moved too) can run beside the developer's own.
SERVICE_PORT_OFFSET="${NOTIFY_LOCAL_SERVICE_PORT_OFFSET:-0}"
service_port() { echo $(( $1 + SERVICE_PORT_OFFSET )); }  # service_port DEFAULT_PORT
# One Kafka node by default; NOTIFY_LOCAL_KAFKA_BROKERS=3 runs a three-node cluster (infra.sh).
KAFKA_BROKERS="${NOTIFY_LOCAL_KAFKA_BROKERS:-1}"
[[ "$KAFKA_BROKERS" == 1 || "$KAFKA_BROKERS" == 3 ]] || { echo "NOTIFY_LOCAL_KAFKA_BROKERS must be 1 or 3" >&2; exit 1; }
kafka_port() { echo $(( KAFKA_PORT + 10 * ($1 - 1) )); }
kafka_controller_port() { echo $(( KAFKA_CONTROLLER_PORT + 10 * ($1 - 1) )); }
kafka_bootstrap() {  # every node's listener, comma-separated
  local out="" n
  for n in $(seq 1 "$KAFKA_BROKERS"); do out+="${out:+,}127.0.0.1:$(kafka_port "$n")"; done
  echo "$out"
}
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")"
PG_BIN="${NOTIFY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
ok() { printf '    \033[32m✓\033[0m %s\n' "$*"; }
warn() { printf '    \033[33m!\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# is_running NAME: the pid file exists and its process is alive.
is_running() {
  local pidfile="$RUN/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for DESCRIPTION SECONDS COMMAND...: poll until COMMAND succeeds, showing progress dots.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local start=$SECONDS
  printf '    waiting for %s ' "$what"
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= timeout )); then
      printf '\n'; die "$what not ready after ${timeout}s (logs in $LOGS)"
    fi
    printf '.'; sleep 0.5
  done
  printf ' ready in %ss\n' "$((SECONDS - start))"
}

# stop_pid NAME: stop exactly the process whose pid we recorded, TERM then KILL.
stop_pid() {
  local name="$1" pidfile="$RUN/$1.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then warn "$name did not stop in 30s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    ok "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

# stop_pids NAME...: TERM them all at once, then wait for each (a parallel stop_pid).
stop_pids() {
  local name
  for name in "$@"; do
    [[ -f "$RUN/$name.pid" ]] && kill -TERM "$(cat "$RUN/$name.pid")" 2>/dev/null || true
  done
  for name in "$@"; do stop_pid "$name"; done
}

# as_service_user CMD...: PostgreSQL refuses to run as root, so run it as the postgres user then
# (from /, since the current folder may be one that user cannot enter).
as_service_user() {
  if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
