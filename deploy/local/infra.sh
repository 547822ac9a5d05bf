#!/usr/bin/env bash
# Starts (or stops) the backing services of the local platform as this project's own processes:
# Apache Kafka (KRaft, from Maven Central jars), PostgreSQL and Redis (Debian packages) and moto's
# server (SES, SNS, S3). State, logs and pid files live under .local/.
# Usage: infra.sh start|stop|status|running [component ...]   (components: kafka postgres redis moto)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_LIBS="$STATE/kafka/libs-$KAFKA_VERSION"
KAFKA_DATA="$STATE/kafka/data"
PG_DATA="$STATE/postgres/data"
PG_SOCKET_DIR="$STATE/postgres/socket"
REDIS_DIR="$STATE/redis"

java_opts() {
  echo "-Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35" \
       "-XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true" \
       "-Dlog4j2.configurationFile=$ROOT/deploy/local/kafka/log4j2.properties -Dkafka.logs.dir=$LOGS"
}

start_kafka() {
  if is_running kafka; then ok "Kafka already running on 127.0.0.1:$KAFKA_PORT"; return; fi
  [[ -f "$KAFKA_LIBS/.complete" ]] || die "Kafka jars missing: run deploy/local/install.sh"
  mkdir -p "$KAFKA_DATA"
  local conf="$STATE/kafka/server.properties"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_DATA|g" "$ROOT/deploy/local/kafka/server.properties.in" > "$conf"
  # shellcheck disable=SC2046
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    step "formatting Kafka storage"
    local cluster_id; cluster_id="$(java $(java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid)"
    java $(java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >/dev/null
  fi
  step "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  [[ -f "$LOGS/kafka.log" ]] && mv "$LOGS/kafka.log" "$LOGS/kafka.log.1"
  # shellcheck disable=SC2046
  nohup java $(java_opts) -cp "$KAFKA_LIBS/*" kafka.Kafka "$conf" >"$LOGS/kafka.out" 2>&1 &
  echo $! > "$RUN/kafka.pid"
}

start_postgres() {
  if is_running postgres; then ok "PostgreSQL already running on 127.0.0.1:$PG_PORT"; return; fi
  mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
  [[ $EUID -eq 0 ]] && chown -R postgres:postgres "$STATE/postgres"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    step "initialising PostgreSQL data directory"
    as_service_user "$PG_BIN/initdb" -D "$PG_DATA" -U notify --auth=trust -E UTF8 --no-locale >"$LOGS/initdb.log"
  fi
  step "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  touch "$LOGS/postgres.log"; [[ $EUID -eq 0 ]] && chown postgres "$LOGS/postgres.log"
  as_service_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_SOCKET_DIR -c fsync=on -c max_connections=200 -c shared_buffers=256MB" >/dev/null
  head -n 1 "$PG_DATA/postmaster.pid" > "$RUN/postgres.pid"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U notify -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='notify'" | grep -q 1 \
    || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U notify notify
}

start_redis() {
  if is_running redis; then ok "Redis already running on 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p "$REDIS_DIR"
  step "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" --appendonly yes --appendfsync everysec
  wait_for "Redis pid file" 10 test -s "$RUN/redis.pid"
}

start_moto() {
  if is_running moto; then ok "moto already running on 127.0.0.1:$MOTO_PORT"; return; fi
  step "starting moto (SES, SNS, S3) on 127.0.0.1:$MOTO_PORT"
  nohup "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$LOGS/moto.log" 2>&1 &
  echo $! > "$RUN/moto.pid"
}

kafka_ready() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOGS/kafka.log"; }

stop_postgres() {
  if is_running postgres; then
    as_service_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && ok "stopped PostgreSQL"
  fi
  rm -f "$RUN/postgres.pid"
}

ALL=(kafka postgres redis moto)
action="${1:-start}"; shift || true
components=("$@"); ((${#components[@]})) || components=("${ALL[@]}")

case "$action" in
  start)
    for c in "${components[@]}"; do "start_$c"; done
    for c in "${components[@]}"; do
      case "$c" in
        postgres) wait_for "PostgreSQL" 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ;;
        moto) wait_for "moto" 30 port_open "$MOTO_PORT" ;;
        kafka) wait_for "Kafka" 90 kafka_ready ;;
        redis) wait_for "Redis" 10 port_open "$REDIS_PORT" ;;
      esac
    done
    ;;
  stop)
    for c in "${components[@]}"; do
      if [[ $c == postgres ]]; then stop_postgres; else stop_pid "$c"; fi
    done
    ;;
  running)  # prints the components that are running now
    for c in "${components[@]}"; do is_running "$c" && echo "$c"; done; true
    ;;
  status)
    for p in "${components[@]}"; do
      if is_running "$p"; then ok "$p running (pid $(cat "$RUN/$p.pid"))"; else warn "$p not running"; fi
    done
    ;;
  *) die "usage: infra.sh start|stop|status|running [kafka|postgres|redis|moto ...]" ;;
esac
