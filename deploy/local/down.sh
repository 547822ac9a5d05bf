#!/usr/bin/env bash
# `make down`: stops exactly the processes `make up` started, by their pid files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/deploy/local/services.sh" stop
"$ROOT/deploy/local/infra.sh" stop
