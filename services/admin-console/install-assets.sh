#!/usr/bin/env bash
# Installs the console's front-end packages from package-lock.json (GOV.UK Frontend, uPlot, and
# axe-core for the browser tests) and copies GOV.UK Frontend's and uPlot's built files into the
# package's static folder.
# Idempotent: does nothing when the lock file has not changed since the last run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stamp="node_modules/.installed-lock"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp" || [[ ! -d src/notify_admin_console/static ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  node build-assets.mjs
  cp package-lock.json "$stamp"
fi
