#!/usr/bin/env bash
# Installs whatever the local platform needs and is missing: Debian packages (PostgreSQL, Redis,
# Java 17, Maven, Prometheus), uv and the Python workspace, Apache Kafka's jars from Maven Central,
# and the official GOV.UK Notify Node and Java clients that the tests drive (tests/e2e/clients).
# Idempotent: a second run only checks.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_updated=0
apt_install() {
  local sudo=""; [[ $EUID -eq 0 ]] || sudo="sudo"
  if (( ! apt_updated )); then step "apt-get update"; $sudo apt-get update -qq; apt_updated=1; fi
  step "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

step "system packages"
missing=()
[[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v curl >/dev/null || missing+=(curl)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)  # letters in Welsh
command -v npm >/dev/null || missing+=(npm)  # the admin console's GOV.UK Frontend and axe-core
[[ -x /usr/bin/chromium ]] || missing+=(chromium fonts-liberation)  # the admin console's browser tests
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  # The Debian packages start system-wide services; ours run as separate instances, so leave theirs be.
fi
ok "PostgreSQL ($PG_BIN), Redis, Java, Maven present"

# Debian's prometheus package would start and enable a system-wide prometheus.service (every
# interface, port 9090). The platform runs its own instance (infra.sh), so while the package
# installs, policy-rc.d forbids starting services (exit 101), and the unit is then disabled.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  sudo=""; [[ $EUID -eq 0 ]] || sudo="sudo"
  policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
  fi
  installed=0; apt_install prometheus && installed=1
  (( made_policy )) && $sudo rm -f "$policy"
  (( installed )) || die "the prometheus package did not install (see above)"
  if command -v systemctl >/dev/null; then $sudo systemctl disable --quiet prometheus.service 2>/dev/null || true; fi
fi
ok "Prometheus $(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p') present (run by infra.sh, not as a system service)"

step "uv and the Python workspace"
if ! command -v uv >/dev/null; then
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi
# The interpreter: Debian's own python3.11 where it is installed. It is linked statically and built
# with profile-guided and link-time optimisation: the whole platform spent about 12 % less CPU a
# notification on it than on a shared-library build without them (pyenv's default), which uv would
# otherwise find first on a machine that has pyenv (docs/benchmarks.md, "Session 20"). An existing
# .venv made with another interpreter is made again. NOTIFY_PYTHON names another one.
python="${NOTIFY_PYTHON:-}"
[[ -n "$python" || ! -x /usr/bin/python3.11 ]] || python=/usr/bin/python3.11
(cd "$ROOT" && uv sync --frozen --all-packages --quiet ${python:+--python "$python"})
# Byte-compile the workspace and its libraries once: where PYTHONDONTWRITEBYTECODE is set nothing
# writes .pyc files, and every service process would compile every module it imports again at each
# start (about 3 s of CPU for the api-gateway's imports). Files already compiled are skipped.
"$ROOT/.venv/bin/python" -m compileall -q -j 0 "$ROOT/.venv/lib" "$ROOT/libs" "$ROOT/services" >/dev/null || true
ok "Python environment in $ROOT/.venv ($("$ROOT/.venv/bin/python" -V), $(uv --version))"

step "admin console assets (GOV.UK Frontend, uPlot, axe-core) from npm"
"$ROOT/services/admin-console/install-assets.sh"
ok "built into services/admin-console/src/notify_admin_console/static"

step "GOV.UK Notify's official Node client for the tests (npm)"
CLIENTS="$ROOT/tests/e2e/clients"
node_stamp="$CLIENTS/node/node_modules/.installed-lock"
if [[ ! -f "$node_stamp" ]] || ! cmp -s "$CLIENTS/node/package-lock.json" "$node_stamp"; then
  (cd "$CLIENTS/node" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$CLIENTS/node/package-lock.json" "$node_stamp"
fi
ok "notifications-node-client $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$CLIENTS/node/node_modules/notifications-node-client/package.json" | head -n 1) in tests/e2e/clients/node"

step "GOV.UK Notify's official Java client for the tests (Maven Central)"
java_stamp="$CLIENTS/java/target/.resolved-pom"
if [[ ! -f "$java_stamp" ]] || ! cmp -s "$CLIENTS/java/pom.xml" "$java_stamp"; then
  # Compiles the test and starts JUnit with a tag no test has, so that the client's jars, JUnit and
  # every plugin the tests use (Surefire's JUnit provider is only fetched when JUnit starts) are in
  # the local Maven repository: the tests run Maven offline. -B prints each download on its own
  # line: that is the progress of a cold fetch.
  no_tests=(test -Dgroups=none -Dsurefire.failIfNoSpecifiedTests=false)
  mvn -B -Dstyle.color=never -f "$CLIENTS/java/pom.xml" "${no_tests[@]}" 2>&1 | grep -E 'Downloaded from|BUILD|ERROR' | sed 's/^/    /' || true
  mvn -o -B -q -f "$CLIENTS/java/pom.xml" "${no_tests[@]}" >/dev/null 2>&1 \
      || die "the Java client's dependencies were not fetched (see above)"
  cp "$CLIENTS/java/pom.xml" "$java_stamp"
fi
ok "notifications-java-client $(sed -n 's:.*<notify.client.version>\(.*\)</notify.client.version>.*:\1:p' "$CLIENTS/java/pom.xml") resolved for tests/e2e/clients/java"

step "Apache Kafka $KAFKA_VERSION jars"
KAFKA_LIBS="$STATE/kafka/libs-$KAFKA_VERSION"
if [[ ! -f "$KAFKA_LIBS/.complete" ]]; then
  mkdir -p "$KAFKA_LIBS"
  # -B prints each download on its own line: that is the progress of a cold fetch.
  mvn -B -ntp -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" | grep -E 'Copying|BUILD|ERROR' | sed 's/^/    /' || true
  ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars were not fetched (see above)"
  touch "$KAFKA_LIBS/.complete"
fi
ok "$(ls "$KAFKA_LIBS"/*.jar | wc -l) jars in $KAFKA_LIBS"
