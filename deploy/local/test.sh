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
# pytest exits 5 when it collected no test: that fails this script like any other failure.
if (( $# > 0 )); then
  NOTIFY_LOCAL_PG_PORT="$PG_PORT" .venv/bin/pytest "$@"
  exit
fi

# Most of the suite's wall time is waiting (platforms starting, consumers joining groups, polls),
# not CPU, so the end-to-end tests run in a pytest process of their own beside the others. Each
# process is a separate run: its own database (notify_test_<run>), Kafka topic prefix and so
# consumer groups, and its platforms on free ports (tests/support/env.py), so neither sees the
# other's data. The fault suite runs after both, alone: its cases judge the platform under load.
# make test stays well under 30 minutes: it runs every fault case of a failing dependency (Kafka,
# PostgreSQL, Redis, the providers), and leaves to make test-faults (this script with tests/faults)
# the cases that kill the platform's own processes (the end-to-end crash tests of the sms-sender
# stay) and the make down/make up case, which runs make up twice.
e2e_log="$(mktemp -t notify-e2e-tests.XXXXXX)"
# Started as a job of its own (set -m): a background command of a script otherwise ignores SIGINT,
# and SIGINT is how pytest is stopped with its teardown, which stops the platform it started. Its
# input is /dev/null: a job apart from the terminal's that read from it would be stopped.
set -m
NOTIFY_LOCAL_PG_PORT="$PG_PORT" .venv/bin/pytest --durations=15 tests/e2e </dev/null >"$e2e_log" 2>&1 &
e2e_pid=$!
set +m
stop_e2e() {
  if kill -INT "$e2e_pid" 2>/dev/null; then wait "$e2e_pid" || true; fi
  cat "$e2e_log" || true
  cleanup
}
trap stop_e2e EXIT
# Ctrl-C (or a CI's SIGTERM) ends the run here, rather than going on to the next group.
trap 'exit 130' INT
trap 'exit 143' TERM

failed=()
NOTIFY_LOCAL_PG_PORT="$PG_PORT" .venv/bin/pytest --durations=15 --ignore=tests/e2e --ignore=tests/faults \
  || failed+=("unit, contract, integration and security tests (exit $?)")
step "tests: end-to-end (run beside the ones above)"
e2e_rc=0
wait "$e2e_pid" || e2e_rc=$?
trap cleanup EXIT
cat "$e2e_log"
rm -f "$e2e_log"
((e2e_rc == 0)) || failed+=("end-to-end tests (exit $e2e_rc)")

step "tests: faults"
NOTIFY_LOCAL_PG_PORT="$PG_PORT" .venv/bin/pytest --durations=15 tests/faults \
  --deselect tests/faults/test_make_down_up.py \
  --deselect tests/faults/test_service_kills.py --deselect tests/faults/test_replica_kills.py \
  || failed+=("fault tests (exit $?)")

if ((${#failed[@]})); then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
