#!/usr/bin/env bash
# `make test`: installs and starts what the tests need (Kafka, PostgreSQL, Redis, moto, helm), runs
# the linters and every test suite, and stops the backing services it started (and only those).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/deploy/local/install.sh"
if [[ -x "$ROOT/deploy/helm/install-helm.sh" ]]; then "$ROOT/deploy/helm/install-helm.sh"; fi

mapfile -t already < <("$ROOT/deploy/local/infra.sh" running)
to_stop=()
for c in kafka postgres redis moto; do
  [[ " ${already[*]} " == *" $c "* ]] || to_stop+=("$c")
done
cleanup() { ((${#to_stop[@]})) && "$ROOT/deploy/local/infra.sh" stop "${to_stop[@]}"; true; }
trap cleanup EXIT
"$ROOT/deploy/local/infra.sh" start kafka postgres redis moto  # not Prometheus: the tests start their own

cd "$ROOT"
if [[ "${NOTIFY_TEST_SKIP_LINT:-0}" != 1 ]]; then
  step "lint: ruff and mypy --strict"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/mypy $(for d in libs/*/src/* services/*/src/*; do printf -- '-p %s ' "$(basename "$d")"; done)
  .venv/bin/mypy tests bench
fi

step "tests: unit, contract, integration, end-to-end"
if (( $# == 0 )); then
  # make test stays well under 30 minutes: it runs every fault case of a failing dependency (Kafka,
  # PostgreSQL, Redis, the providers), and leaves to make test-faults (this script with
  # tests/faults) the cases that kill the platform's own processes (the end-to-end crash tests of
  # the sms-sender stay) and the make down/make up case, which runs make up twice.
  set -- --deselect tests/faults/test_make_down_up.py \
    --deselect tests/faults/test_service_kills.py --deselect tests/faults/test_replica_kills.py
fi
# pytest exits 5 when it collected no test: that fails this script like any other failure.
# The 25 slowest steps close the output, so a CI log shows where the time went.
NOTIFY_LOCAL_PG_PORT="$PG_PORT" .venv/bin/pytest --durations=25 "$@"
