#!/usr/bin/env bash
# The environment the platform's services get locally: where Kafka, PostgreSQL, Redis and moto
# are. Sourced by the scripts and by the tests' process launcher (tests/support/platform.py).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export NOTIFY_KAFKA_BOOTSTRAP_SERVERS="$(kafka_bootstrap)"
if (( KAFKA_BROKERS >= 3 )); then
  export NOTIFY_KAFKA_TOPIC_REPLICATION_FACTOR=3 NOTIFY_KAFKA_TOPIC_MIN_INSYNC_REPLICAS=2
fi
export NOTIFY_DATABASE_URL="${NOTIFY_DATABASE_URL:-postgresql+psycopg://notify@127.0.0.1:$PG_PORT/notify}"
export NOTIFY_REDIS_URL="${NOTIFY_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
export NOTIFY_AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export NOTIFY_AWS_REGION="eu-west-2"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export NOTIFY_API_BASE_URL="http://127.0.0.1:6011"
export NOTIFY_SCHEMAS_DIR="$ROOT/schemas"

# This installation's own secrets, made once (256 bits each) and kept under .local/ (mode 0600):
# NOTIFY_SECRET_KEY encrypts API key and callback secrets at rest, NOTIFY_CONSOLE_SECRET_KEY signs
# console sessions. Deleting the file makes stored API keys unreadable.
SECRETS_FILE="$STATE/secrets.env"
if [[ ! -s "$SECRETS_FILE" ]]; then
  (umask 077; printf 'NOTIFY_SECRET_KEY=%s\nNOTIFY_CONSOLE_SECRET_KEY=%s\n' \
    "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$SECRETS_FILE")
fi
set -a; source "$SECRETS_FILE"; set +a
# A local platform runs in development mode (plain-HTTP console cookies, simulated providers); this
# must be asked for: the services treat any other environment as production.
export NOTIFY_ENVIRONMENT="${NOTIFY_ENVIRONMENT:-development}"
