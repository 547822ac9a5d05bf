#!/usr/bin/env bash
# Starts (or stops) the backing services of the local platform as this project's own processes:
# Apache Kafka (KRaft, from Maven Central jars), PostgreSQL and Redis (Debian packages) and moto's
# server (SES, SNS, S3), and Prometheus (Debian package) scraping the platform's services. State,
# logs and pid files live under .local/ (PostgreSQL's may live elsewhere, with a link from
# .local/postgres: see pg_home).
# Usage: infra.sh start|stop|status|running [component ...]
#        (components: kafka postgres redis moto prometheus)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The jars can be shared between checkouts or state folders (the fault tests start clusters of their own).
KAFKA_LIBS="${NOTIFY_KAFKA_LIBS_DIR:-$STATE/kafka/libs-$KAFKA_VERSION}"
KAFKA_DATA="$STATE/kafka/data"
PG_HOME="$(readlink -m "$STATE/postgres")"
PG_DATA="$PG_HOME/data"
PG_SOCKET_DIR="$PG_HOME/socket"
REDIS_DIR="$STATE/redis"
PROMETHEUS_PORT="${NOTIFY_LOCAL_PROMETHEUS_PORT:-19090}"
PROMETHEUS_DIR="$STATE/prometheus"

java_opts() {  # java_opts NODE: each node logs to kafka.log (node 1) or kafka-N.log
  local heap="-Xms512m -Xmx1g" logname; logname="$(basename "$(kafka_log "${1:-1}")" .log)"
  (( KAFKA_BROKERS == 1 )) || heap="-Xms256m -Xmx512m"
  echo "$heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35" \
       "-XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true" \
       "-Dlog4j2.configurationFile=$ROOT/deploy/local/kafka/log4j2.properties -Dkafka.logs.dir=$LOGS" \
       "-Dkafka.log.name=$logname"
}

# KAFKA_BROKERS=1 (the default) runs one process that is both broker and controller. With 3, three
# such processes form one KRaft quorum (node n listens on KAFKA_PORT + 10*(n-1), its controller on
# KAFKA_CONTROLLER_PORT + 10*(n-1)), so losing any one broker loses nothing acknowledged.
kafka_nodes() { seq 1 "$KAFKA_BROKERS"; }
kafka_name() { if [[ $1 -eq 1 ]]; then echo kafka; else echo "kafka-$1"; fi; }
kafka_data() {
  if (( KAFKA_BROKERS == 1 )); then echo "$KAFKA_DATA"; else echo "$STATE/kafka/cluster/node-$1"; fi
}
kafka_log() { if [[ $1 -eq 1 ]]; then echo "$LOGS/kafka.log"; else echo "$LOGS/kafka-$1.log"; fi; }

render_kafka_conf() {  # render_kafka_conf NODE FILE
  local node="$1" conf="$2" voters="" n
  for n in $(kafka_nodes); do voters+="${voters:+,}$n@127.0.0.1:$(kafka_controller_port "$n")"; done
  local replicas=$(( KAFKA_BROKERS >= 3 ? 3 : 1 )) min_isr=$(( KAFKA_BROKERS >= 3 ? 2 : 1 ))
  sed -e "s|@KAFKA_PORT@|$(kafka_port "$node")|g" -e "s|@KAFKA_CONTROLLER_PORT@|$(kafka_controller_port "$node")|g" \
      -e "s|@DATA_DIR@|$(kafka_data "$node")|g" -e "s|@NODE_ID@|$node|g" -e "s|@VOTERS@|$voters|g" \
      -e "s|@REPLICAS@|$replicas|g" -e "s|@MIN_ISR@|$min_isr|g" \
      "$ROOT/deploy/local/kafka/server.properties.in" > "$conf"
}

start_kafka() {
  [[ -f "$KAFKA_LIBS/.complete" ]] || die "Kafka jars missing: run deploy/local/install.sh"
  local node cluster_id=""
  for node in $(kafka_nodes); do
    local name data conf
    name="$(kafka_name "$node")"; data="$(kafka_data "$node")"
    if is_running "$name"; then ok "Kafka node $node already running on 127.0.0.1:$(kafka_port "$node")"; continue; fi
    mkdir -p "$data"
    conf="$STATE/kafka/server-$node.properties"
    (( KAFKA_BROKERS == 1 )) && conf="$STATE/kafka/server.properties"
    render_kafka_conf "$node" "$conf"
    # shellcheck disable=SC2046
    if [[ ! -f "$data/meta.properties" ]]; then
      step "formatting Kafka storage (node $node)"
      if [[ -z "$cluster_id" ]]; then
        cluster_id="$(cat "$STATE/kafka/cluster.id" 2>/dev/null || true)"
        (( KAFKA_BROKERS == 1 )) && cluster_id=""
        [[ -n "$cluster_id" ]] || cluster_id="$(java $(java_opts "$node") -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid)"
        (( KAFKA_BROKERS == 1 )) || echo "$cluster_id" > "$STATE/kafka/cluster.id"
      fi
      java $(java_opts "$node") -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >/dev/null
    fi
    step "starting Kafka $KAFKA_VERSION node $node on 127.0.0.1:$(kafka_port "$node")"
    local log; log="$(kafka_log "$node")"
    [[ -f "$log" ]] && mv "$log" "$log.1"
    # The garbage collector's pauses go to kafka-gc.log (kafka-N-gc.log), as Kafka's own start
    # scripts log them: each pause holds up every produce request's acknowledgement.
    # shellcheck disable=SC2046
    nohup java $(java_opts "$node") "-Xlog:gc:file=${log%.log}-gc.log:time,uptime:filecount=3,filesize=10M" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$conf" >"$LOGS/$name.out" 2>&1 &
    echo $! > "$RUN/$name.pid"
  done
}

# pg_home: where PostgreSQL's data, socket directory and log live. As root, PostgreSQL runs as the
# postgres user, which cannot reach a checkout inside a private folder (a clone under /root, mode
# 0700). Rather than open that folder up, the first start then keeps them in
# /var/lib/notify-local/<hash of the state folder>/ (owned by postgres, mode 0700) and makes
# .local/postgres a link to it, so every later start, stop and status finds the same data.
pg_home() {
  local here="$STATE/postgres"
  if [[ $EUID -eq 0 && ! -L "$here" && ! -f "$here/data/PG_VERSION" ]] \
     && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; then
    local away
    away="/var/lib/notify-local/$(cd "$STATE" && pwd -P | sha256sum | cut -c1-16)"
    rm -rf "$here"  # only folders an earlier failed start made: there is no database in them
    install -d -m 755 /var/lib/notify-local
    install -d -m 700 -o postgres -g postgres "$away"
    printf 'PostgreSQL data of the local platform in %s\n' "$(cd "$STATE/.." && pwd -P)" > "$away/README"
    ln -s "$away" "$here"
    ok "PostgreSQL keeps its data in $away (linked from $here): the postgres user cannot reach $STATE"
    if [[ -f "$away/data/PG_VERSION" ]]; then
      warn "that folder holds the data of an earlier checkout at this path, used again (remove it to start afresh)"
    fi
  fi
  PG_HOME="$(readlink -m "$here")"; PG_DATA="$PG_HOME/data"; PG_SOCKET_DIR="$PG_HOME/socket"
}

start_postgres() {
  if is_running postgres; then ok "PostgreSQL already running on 127.0.0.1:$PG_PORT"; return; fi
  pg_home
  mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
  [[ $EUID -eq 0 ]] && chown -R postgres:postgres "$PG_HOME"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    step "initialising PostgreSQL data directory"
    as_service_user "$PG_BIN/initdb" -D "$PG_DATA" -U notify --auth=trust -E UTF8 --no-locale >"$LOGS/initdb.log"
  fi
  step "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # The server opens its log itself, so the log sits beside the data (logs/ links to it) when the
  # data had to move out of the checkout.
  local log="$LOGS/postgres.log"
  if [[ -L "$STATE/postgres" ]]; then log="$PG_HOME/postgres.log"; ln -sfn "$log" "$LOGS/postgres.log"; fi
  touch "$log"; [[ $EUID -eq 0 ]] && chown postgres "$log"
  # WAL: a page's first change after a checkpoint writes the whole page into the WAL, so
  # checkpoints come every 15 minutes rather than every 1 GB of WAL (about 5 minutes at
  # saturation), and those page images are compressed (lz4: about half their bytes, no CPU
  # measurable per notification). Commits stay synchronous and fsynced.
  as_service_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_SOCKET_DIR -c fsync=on -c max_connections=200 -c shared_buffers=256MB -c wal_compression=lz4 -c max_wal_size=4GB -c checkpoint_timeout=15min" >/dev/null
  head -n 1 "$PG_DATA/postmaster.pid" > "$RUN/postgres.pid"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U notify -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='notify'" | grep -q 1 \
    || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U notify notify
}

start_redis() {
  if is_running redis; then ok "Redis already running on 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p "$REDIS_DIR"
  step "starting Redis on 127.0.0.1:$REDIS_PORT"
  # Persistence is the append-only file alone (the day's counts survive a crash, losing at most a
  # second). Redis's default snapshots are off: under load each ("10000 changes in 60 seconds")
  # forked a child that wrote the whole dataset again (160 MB with the recent sends' rows at
  # 1,500 sends a second, most of a core for up to a second) without keeping anything the
  # append-only file does not. The file is rewritten (the same copy of the dataset, in a child)
  # once it has grown to five times the last rewrite's size, not Redis's default of twice: at
  # 1,500 sends a second that was a rewrite a minute. The file is bigger in between, and Redis takes
  # longer to load it after a crash: a 160 MB rewrite loaded in 0.55 s and what followed it at
  # 300 MB/s, so at most about 2 s more.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" --appendonly yes --appendfsync everysec --save "" \
    --auto-aof-rewrite-percentage 400
  wait_for "Redis pid file" 10 test -s "$RUN/redis.pid"
}

start_moto() {
  if is_running moto; then ok "moto already running on 127.0.0.1:$MOTO_PORT"; return; fi
  step "starting moto (SES, SNS, S3) on 127.0.0.1:$MOTO_PORT"
  nohup "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$LOGS/moto.log" 2>&1 &
  echo $! > "$RUN/moto.pid"
}

# The jobs Prometheus scrapes, "name:port" each: the platform's services as services.sh starts them
# (but the provider simulator, which stands in for outside providers), or
# NOTIFY_LOCAL_PROMETHEUS_TARGETS for a platform on other ports (the tests start theirs on free ones).
prometheus_targets() {
  if [[ -n "${NOTIFY_LOCAL_PROMETHEUS_TARGETS:-}" ]]; then echo "$NOTIFY_LOCAL_PROMETHEUS_TARGETS"; return; fi
  local SERVICES=()
  eval "$(sed -n '/^SERVICES=(/,/^)/p' "$ROOT/deploy/local/services.sh")"
  printf '%s\n' "${SERVICES[@]}" | grep -v '^provider-simulator:'
}

# The configuration, written at every start: one job per service (job = the service's name, as
# the alert rules and the dashboard expect), the rule files of deploy/prometheus/rules (or
# NOTIFY_LOCAL_PROMETHEUS_RULES, space-separated paths or globs).
render_prometheus_conf() {
  local conf="$1" entry
  {
    printf 'global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\n  evaluation_interval: 5s\n'
    printf 'rule_files:\n'
    for entry in ${NOTIFY_LOCAL_PROMETHEUS_RULES:-$ROOT/deploy/prometheus/rules/*.yml}; do printf '  - %s\n' "$entry"; done
    printf 'scrape_configs:\n'
    for entry in $(prometheus_targets); do
      printf '  - job_name: %s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "${entry%%:*}" "${entry##*:}"
    done
  } > "$conf"
}

start_prometheus() {
  if is_running prometheus; then ok "Prometheus already running on 127.0.0.1:$PROMETHEUS_PORT"; return; fi
  command -v prometheus >/dev/null || die "prometheus missing: run deploy/local/install.sh"
  mkdir -p "$PROMETHEUS_DIR/data"
  render_prometheus_conf "$PROMETHEUS_DIR/prometheus.yml"
  promtool check config "$PROMETHEUS_DIR/prometheus.yml" >"$LOGS/prometheus-check.log" 2>&1 \
    || die "the Prometheus configuration does not check (see $LOGS/prometheus-check.log)"
  step "starting Prometheus on 127.0.0.1:$PROMETHEUS_PORT"
  nohup prometheus --config.file="$PROMETHEUS_DIR/prometheus.yml" --storage.tsdb.path="$PROMETHEUS_DIR/data" \
    --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    >"$LOGS/prometheus.log" 2>&1 &
  echo $! > "$RUN/prometheus.pid"
}

prometheus_ready() { curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; }

kafka_ready() {
  local node
  for node in $(kafka_nodes); do
    port_open "$(kafka_port "$node")" && grep -q "Kafka Server started" "$(kafka_log "$node")" || return 1
  done
}

stop_kafka() {
  local names=() node
  for node in $(kafka_nodes); do names+=("$(kafka_name "$node")"); done
  stop_pids "${names[@]}"
}

stop_postgres() {
  if is_running postgres; then
    as_service_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && ok "stopped PostgreSQL"
  fi
  rm -f "$RUN/postgres.pid"
}

ALL=(kafka postgres redis moto prometheus)
action="${1:-start}"; shift || true
components=("$@"); ((${#components[@]})) || components=("${ALL[@]}")

case "$action" in
  start)
    for c in "${components[@]}"; do "start_$c"; done
    for c in "${components[@]}"; do
      case "$c" in
        postgres) wait_for "PostgreSQL" 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ;;
        moto) wait_for "moto" 30 port_open "$MOTO_PORT" ;;
        kafka) wait_for "Kafka ($KAFKA_BROKERS node$( ((KAFKA_BROKERS > 1)) && echo s))" 90 kafka_ready ;;
        redis) wait_for "Redis" 10 port_open "$REDIS_PORT" ;;
        prometheus) wait_for "Prometheus" 30 prometheus_ready ;;
      esac
    done
    ;;
  stop)
    for c in "${components[@]}"; do
      case "$c" in
        postgres) stop_postgres ;;
        kafka) stop_kafka ;;
        *) stop_pid "$c" ;;
      esac
    done
    ;;
  running)  # prints the components that are running now
    for c in "${components[@]}"; do is_running "$c" && echo "$c"; done; true
    ;;
  status)
    for p in "${components[@]}"; do
      names=("$p")
      if [[ $p == kafka ]]; then names=(); for n in $(kafka_nodes); do names+=("$(kafka_name "$n")"); done; fi
      for name in "${names[@]}"; do
        if is_running "$name"; then ok "$name running (pid $(cat "$RUN/$name.pid"))"; else warn "$name not running"; fi
      done
      if [[ $p == prometheus ]] && is_running prometheus; then ok "Prometheus: http://127.0.0.1:$PROMETHEUS_PORT/"; fi
      if [[ $p == postgres && -L "$STATE/postgres" ]]; then ok "PostgreSQL's data: $PG_HOME (linked from $STATE/postgres)"; fi
    done
    ;;
  *) die "usage: infra.sh start|stop|status|running [kafka|postgres|redis|moto|prometheus ...]" ;;
esac
