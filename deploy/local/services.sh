#!/usr/bin/env bash
# Starts (or stops) the platform's own services as background processes with pid files under
# .local/run and logs under .local/logs. Usage: services.sh start|stop|status|replicas
#
# NOTIFY_LOCAL_REPLICAS="sms-sender=2,projector=2,receipts=2" runs that many processes of those
# services, as that many pods of a Deployment would: each further process (replica k = 2, 3, ...) is
# the same executable with the same environment in the same consumer group, with a port of its own
# (the service's port + 50 x (k - 1)), its log in .local/logs/<name>-<k>.log and its pid file
# .local/run/<name>-<k>.pid. Nothing balances HTTP requests across them locally, so a second
# process of an HTTP-only service gets no traffic; the receipts service is reached through the
# receipt URL each sms-sender gives the provider, so sms-sender k names receipts process
# ((k - 1) mod R) + 1 of R, which spreads the receipts as a Kubernetes Service would.
# `services.sh replicas` prints the processes that setting asks for, one a line: name, replica,
# port and the receipts URL that process is given.
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

# replicas NAME: how many processes NOTIFY_LOCAL_REPLICAS asks for (1 unless named there).
declare -A REPLICAS=()
for spec in ${NOTIFY_LOCAL_REPLICAS:+${NOTIFY_LOCAL_REPLICAS//,/ }}; do
  name="${spec%%=*}"; count="${spec#*=}"
  [[ "$spec" == *=* && "$count" =~ ^[1-9][0-9]*$ ]] \
    || die "NOTIFY_LOCAL_REPLICAS: '$spec' is not NAME=COUNT (e.g. sms-sender=2,projector=2)"
  [[ " ${SERVICES[*]%%:*} " == *" $name "* ]] \
    || die "NOTIFY_LOCAL_REPLICAS: no service named '$name' (one of: ${SERVICES[*]%%:*})"
  REPLICAS[$name]="$count"
done
replicas() { echo "${REPLICAS[$1]:-1}"; }
# process_name NAME K: the pid file's and log's name of process K of a service (K = 1: NAME itself).
process_name() { if (( $2 == 1 )); then echo "$1"; else echo "$1-$2"; fi; }
# process_port BASE_PORT K
process_port() { echo $(( $(service_port "$1") + 50 * ($2 - 1) )); }
# receipts_url K: the receipts process sms-sender K sends its receipts to.
receipts_url() {
  local r; r="$(replicas receipts)"
  echo "http://127.0.0.1:$(process_port 6012 $(( ($1 - 1) % r + 1 )))"
}
# Every process to run, in start order: "name k port".
PROCESSES=()
for entry in "${SERVICES[@]}"; do
  for k in $(seq 1 "$(replicas "${entry%%:*}")"); do
    PROCESSES+=("${entry%%:*} $k $(process_port "${entry##*:}" "$k")")
  done
done
# Every pid file name there may be: those asked for, and any replica left from an earlier start.
all_process_names() {
  local entry k f
  for entry in "${PROCESSES[@]}"; do read -r name k _ <<<"$entry"; process_name "$name" "$k"; done
  for entry in "${SERVICES[@]}"; do
    for f in "$RUN/${entry%%:*}"-[0-9]*.pid; do [[ -f "$f" ]] && basename "$f" .pid; done
  done | awk '!seen[$0]++'
}

case "${1:-start}" in
  start)
    step "database schema"
    "$ROOT/.venv/bin/python" -m notify_common.db.migrate | sed 's/^/    /'
    step "Kafka topics"
    "$ROOT/.venv/bin/python" -m notify_common.provision | sed 's/^/    /'
    for entry in "${PROCESSES[@]}"; do
      read -r name k port <<<"$entry"; process="$(process_name "$name" "$k")"
      if is_running "$process"; then ok "$process already running"; continue; fi
      if (( k > 1 )) && port_open "$port"; then die "port $port for $process is taken"; fi
      receipts="$NOTIFY_RECEIPTS_URL"
      [[ "$name" == sms-sender ]] && receipts="$(receipts_url "$k")"
      NOTIFY_HTTP_PORT="$port" NOTIFY_KAFKA_PROVISION_TOPICS=false NOTIFY_RECEIPTS_URL="$receipts" \
        nohup "$ROOT/.venv/bin/notify-$name" >>"$LOGS/$process.log" 2>&1 &
      echo $! > "$RUN/$process.pid"
      ok "started $process (pid $!, port $port)"
    done
    for entry in "${PROCESSES[@]}"; do
      read -r name k port <<<"$entry"
      wait_for "$(process_name "$name" "$k")" 120 healthy "$port"
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
    mapfile -t names < <(all_process_names)
    stop_pids "${names[@]}"
    ;;
  status)
    for name in $(all_process_names); do
      if is_running "$name"; then ok "$name running (pid $(cat "$RUN/$name.pid"))"; else warn "$name not running"; fi
    done
    ;;
  replicas)
    for entry in "${PROCESSES[@]}"; do
      read -r name k port <<<"$entry"
      receipts="$NOTIFY_RECEIPTS_URL"
      [[ "$name" == sms-sender ]] && receipts="$(receipts_url "$k")"
      echo "$name $k $port $receipts"
    done
    ;;
  *) die "usage: services.sh start|stop|status|replicas" ;;
esac
