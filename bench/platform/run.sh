#!/usr/bin/env bash
# bench/platform: the whole platform as `make up` runs it, open-loop load through the public API.
# Three series: SMS, email, and SMS with a delivery-status callback for every notification; before
# the email series, 30 s of the platform at rest (its broker warm from the SMS series).
# Each run prints a line per rate and a RESULT line of JSON. Arguments go to each run (e.g. --seconds 10).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
.venv/bin/python bench/platform/run.py --channel sms "$@"
.venv/bin/python bench/platform/run.py --no-up --at-rest 30 --channel email --rates 250,500,1000,1500 "$@"
.venv/bin/python bench/platform/run.py --no-up --channel sms --callbacks --rates 250,500,1000 "$@"
