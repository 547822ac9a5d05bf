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
# Where the services find each other (their settings default to the unmoved ports).
export NOTIFY_API_BASE_URL="http://127.0.0.1:$(service_port 6011)"
export NOTIFY_RECEIPTS_URL="http://127.0.0.1:$(service_port 6012)"
export NOTIFY_SIMULATOR_URL="http://127.0.0.1:$(service_port 6013)"
export NOTIFY_ADMIN_API_URL="http://127.0.0.1:$(service_port 6028)"
export NOTIFY_CONSOLE_URL="http://127.0.0.1:$(service_port 6027)"
# Browsers offer security keys only to a domain: keys work when the console is opened on localhost.
export NOTIFY_CONSOLE_WEBAUTHN_ORIGIN="http://localhost:$(service_port 6027)"
# Where links to files sent by email and the hosted unsubscribe links point (document-download's
# public URL; the api-gateway redirects /unsubscribe/ there for links sent before they moved).
export NOTIFY_DOCUMENT_DOWNLOAD_URL="http://127.0.0.1:$(service_port 6029)"
export NOTIFY_ANALYTICS_URL="http://127.0.0.1:$(service_port 6030)"
# The provider simulator keeps its messages and the receipts it still owes across make down/up
# (set NOTIFY_SIMULATOR_STATE_FILE empty to have it start empty each time).
export NOTIFY_SIMULATOR_STATE_FILE="${NOTIFY_SIMULATOR_STATE_FILE-$STATE/provider-simulator.json}"
export NOTIFY_SCHEMAS_DIR="$ROOT/schemas"

# This installation's own secrets, each made once (random, 256 or 128 bits) and kept under .local/
# (mode 0600): NOTIFY_SECRET_KEY encrypts API key and callback secrets at rest (deleting it makes
# stored API keys unreadable), NOTIFY_CONSOLE_SECRET_KEY signs console sessions, and the providers'
# credentials on the receipts service's endpoints (the sms-sender and the simulator send them).
SECRETS_FILE="$STATE/secrets.env"
(umask 077; touch "$SECRETS_FILE")
ensure_secret() {  # ensure_secret NAME BYTES
  grep -q "^$1=" "$SECRETS_FILE" || printf '%s=%s\n' "$1" "$(od -An -N"$2" -tx1 /dev/urandom | tr -d ' \n')" >> "$SECRETS_FILE"
}
ensure_secret NOTIFY_SECRET_KEY 32
ensure_secret NOTIFY_CONSOLE_SECRET_KEY 32
ensure_secret NOTIFY_MMG_RECEIPT_TOKEN 16
ensure_secret NOTIFY_FIRETEXT_RECEIPT_TOKEN 16
ensure_secret NOTIFY_LETTER_CALLBACK_TOKEN 16
ensure_secret NOTIFY_MMG_INBOUND_PASSWORD 16
ensure_secret NOTIFY_FIRETEXT_INBOUND_PASSWORD 16
grep -q '^NOTIFY_MMG_INBOUND_USERNAME=' "$SECRETS_FILE" || echo 'NOTIFY_MMG_INBOUND_USERNAME=mmg' >> "$SECRETS_FILE"
grep -q '^NOTIFY_FIRETEXT_INBOUND_USERNAME=' "$SECRETS_FILE" || echo 'NOTIFY_FIRETEXT_INBOUND_USERNAME=firetext' >> "$SECRETS_FILE"
set -a; source "$SECRETS_FILE"; set +a
# A local platform runs in development mode (plain-HTTP console cookies, simulated providers); this
# must be asked for: the services treat any other environment as production.
export NOTIFY_ENVIRONMENT="${NOTIFY_ENVIRONMENT:-development}"
