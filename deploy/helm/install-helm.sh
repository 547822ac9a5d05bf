#!/usr/bin/env bash
# Installs helm at a pinned version into the repository's state directory (.local/bin/helm), for
# the chart checks in tests/contract/test_helm_chart.py. Idempotent: when the pinned version is
# already there it only says so.
#
# Helm is built from source fetched through the Go module proxy (`go install`), which the
# project's machines reach; no prebuilt binary is downloaded. Needs Go >= 1.26 (the go directive
# of helm's go.mod; an older Go >= 1.21 fetches that toolchain through the proxy by itself).
# Expect about 2-3 minutes on 2 cores the first time; the Go caches make later builds faster.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# helm v3.22.0 is built against k8s.io/client-go v0.37: the Kubernetes version helm assumes when
# there is no cluster (lint and template without --kube-version). Helm's own release builds set it
# the same way, with -ldflags.
HELM_K8S_MAJOR=1
HELM_K8S_MINOR=37

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${NOTIFY_STATE_DIR:-$ROOT/.local}"
BIN="$STATE/bin"
HELM="$BIN/helm"
LOG="$STATE/logs/helm-install.log"
mkdir -p "$BIN" "$STATE/logs"

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
ok() { printf '    \033[32m✓\033[0m %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

installed_version() { "$HELM" version --template '{{.Version}}' 2>/dev/null || true; }

step "helm $HELM_VERSION"
# One installer at a time (make test and a developer's pytest may start together).
exec 9>"$BIN/.helm-install.lock"
if command -v flock >/dev/null; then flock 9; fi

if [[ -x "$HELM" && "$(installed_version)" == "$HELM_VERSION" ]]; then
  ok "already installed: $HELM"
  exit 0
fi

command -v go >/dev/null || die "Go is needed to build helm (Go >= 1.26, or >= 1.21 with GOTOOLCHAIN=auto)"
ok "$(go version)"

pkg="helm.sh/helm/v3"
ldflags="-s -w -X $pkg/internal/version.version=$HELM_VERSION"
for target in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $pkg/$target.k8sVersionMajor=$HELM_K8S_MAJOR -X $pkg/$target.k8sVersionMinor=$HELM_K8S_MINOR"
done

tmp="$(mktemp -d "$BIN/.helm-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
printf '    building %s@%s with go install (log: %s)\n    ' "$pkg/cmd/helm" "$HELM_VERSION" "$LOG"
# -v names each package as it is compiled: print a dot per ten as progress, keep the rest in the log.
set +e
(cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 \
  go install -v -trimpath -ldflags "$ldflags" "$pkg/cmd/helm@$HELM_VERSION" 2>&1) |
  tee "$LOG" | awk '{ if (++n % 10 == 0) { printf "."; fflush() } }'
status=${PIPESTATUS[0]}
set -e
printf '\n'
if (( status != 0 )); then
  tail -n 20 "$LOG" >&2
  die "go install failed (exit $status); the whole output is in $LOG"
fi
mv -f "$tmp/helm" "$HELM"
[[ "$(installed_version)" == "$HELM_VERSION" ]] || die "built helm reports '$(installed_version)', not $HELM_VERSION"
ok "installed $HELM ($HELM_VERSION) in $((SECONDS - start))s"
