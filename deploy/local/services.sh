#!/usr/bin/env bash
# Starts (or stops) the platform's own services as background processes with pid files under
# .local/run and logs under .local/logs. Usage: services.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# name:port, in start order (the simulator and receipts first, so senders find them).
SERVICES=(
  provider-simulator:6013 receipts:6012 projector:6024 sms-sender:6021 email-sender:6022
  letter-sender:6023 callbacks:6025 job-splitter:6026 api-gateway:6011
)

healthy() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    step "database schema"
    "$ROOT/.venv/bin/python" -m notify_common.db.migrate | sed 's/^/    /'
    step "Kafka topics"
    "$ROOT/.venv/bin/python" -m notify_common.provision | sed 's/^/    /'
    for entry in "${SERVICES[@]}"; do
      name="${entry%%:*}"; port="${entry##*:}"
      if is_running "$name"; then ok "$name already running"; continue; fi
      NOTIFY_HTTP_PORT="$port" NOTIFY_KAFKA_PROVISION_TOPICS=false \
        nohup "$ROOT/.venv/bin/notify-$name" >>"$LOGS/$name.log" 2>&1 &
      echo $! > "$RUN/$name.pid"
      ok "started $name (pid $!, port $port)"
    done
    for entry in "${SERVICES[@]}"; do
      wait_for "${entry%%:*}" 60 healthy "${entry##*:}"
    done
    ;;
  stop)
    stop_pids "${SERVICES[@]%%:*}"
    ;;
  status)
    for entry in "${SERVICES[@]}"; do
      name="${entry%%:*}"
      if is_running "$name"; then ok "$name running (pid $(cat "$RUN/$name.pid"))"; else warn "$name not running"; fi
    done
    ;;
  *) die "usage: services.sh start|stop|status" ;;
esac
