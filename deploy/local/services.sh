#!/usr/bin/env bash
# Starts (or stops) the platform's own services as background processes with pid files under
# .local/run and logs under .local/logs. Usage: services.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# name:port, in start order (the simulator and receipts first, so senders find them).
SERVICES=(
  provider-simulator:6013 receipts:6012 projector:6024 sms-sender:6021 email-sender:6022
  letter-sender:6023 callbacks:6025 job-splitter:6026 document-download:6029 analytics:6030
  api-gateway:6011 admin-api:6028 admin-console:6027
)

# The admin API's bearer token, shared by the admin-api and the admin console; made once.
TOKEN_FILE="$STATE/admin-api-token"
[[ -f "$TOKEN_FILE" ]] || (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$TOKEN_FILE")
export NOTIFY_ADMIN_API_TOKEN="${NOTIFY_ADMIN_API_TOKEN:-$(cat "$TOKEN_FILE")}"

healthy() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    step "database schema"
    "$ROOT/.venv/bin/python" -m notify_common.db.migrate | sed 's/^/    /'
    step "Kafka topics"
    "$ROOT/.venv/bin/python" -m notify_common.provision | sed 's/^/    /'
    for entry in "${SERVICES[@]}"; do
      name="${entry%%:*}"; port="$(service_port "${entry##*:}")"
      if is_running "$name"; then ok "$name already running"; continue; fi
      NOTIFY_HTTP_PORT="$port" NOTIFY_KAFKA_PROVISION_TOPICS=false \
        nohup "$ROOT/.venv/bin/notify-$name" >>"$LOGS/$name.log" 2>&1 &
      echo $! > "$RUN/$name.pid"
      ok "started $name (pid $!, port $port)"
    done
    for entry in "${SERVICES[@]}"; do
      wait_for "${entry%%:*}" 120 healthy "$(service_port "${entry##*:}")"
    done
    step "admin console"
    # The demo admin's sign-in codes must really be sent, so its number is an ordinary one from
    # Ofcom's drama range, not one of the smoke-test numbers (07700900000/111/222) the API accepts
    # without sending anything.
    mobile=07700900999
    if [[ ! -f "$STATE/console.env" ]]; then
      password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
      NOTIFY_CONSOLE_PASSWORD="$password" "$ROOT/.venv/bin/notify-admin-console" create-user --exist-ok \
        --platform-admin --email admin@example.gov.uk --name "Platform admin" --mobile "$mobile" >/dev/null
      (umask 077; printf 'CONSOLE_URL=%s\nCONSOLE_EMAIL=admin@example.gov.uk\nCONSOLE_PASSWORD=%s\nCONSOLE_MOBILE=%s\n' \
        "$NOTIFY_CONSOLE_URL" "$password" "$mobile" > "$STATE/console.env")
    elif ! grep -q '^CONSOLE_MOBILE=' "$STATE/console.env"; then
      # Made by an earlier version with the smoke-test number 07700900000: move the account to the
      # new number, once (unless its password was changed since), and note it in console.env.
      password="$(sed -n 's/^CONSOLE_PASSWORD=//p' "$STATE/console.env")"
      NOTIFY_CONSOLE_PASSWORD="$password" "$ROOT/.venv/bin/notify-admin-console" create-user --exist-ok \
        --platform-admin --email admin@example.gov.uk --name "Platform admin" --mobile "$mobile" | sed 's/^/    /' \
        || warn "could not update the demo admin's mobile number (see above)"
      printf 'CONSOLE_MOBILE=%s\n' "$mobile" >> "$STATE/console.env"
    fi
    ok "$NOTIFY_CONSOLE_URL/ : sign in with the email and password in .local/console.env;"
    ok "the text message code arrives at the provider simulator, $NOTIFY_SIMULATOR_URL/"
    ok "more people: .venv/bin/notify-admin-console create-user --help (or invite them from the console)"
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
