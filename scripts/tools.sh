#!/usr/bin/env bash
# Builds every tool the tests need into the cache, skipping the ones already complete, and prints per-step
# timings. Cold on 2 idle cores with empty caches: about 15 min (kube binaries ~9 min, helm ~3-5, etcd ~1.5,
# Kafka jars ~15 s) plus Jaeger (~10 min idle, 22 min on a busy machine) and Chromium from apt; warm: under a
# second.
# Only one tools.sh runs at a time (a lock in the cache), so parallel `make` invocations don't build twice.
source "$(dirname "$0")/lib.sh"
DIR="$(cd "$(dirname "$0")" && pwd)"

missing=0
check() { command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required but not on PATH. Install it: $2" >&2; missing=1; }; }
check java "apt-get install openjdk-17-jre-headless (Java 17+)"
check mvn "apt-get install maven"
check go "apt-get install golang-go, or install Go >= 1.26 from the Go site"
check openssl "apt-get install openssl"
[ "$missing" = 0 ] || exit 127

mkdir -p "$KFAAS_CACHE"
exec 9>"$KFAAS_CACHE/.tools.lock"
if ! flock -n 9; then log "another tools.sh is building; waiting for it"; flock 9; fi

summary=()
# step NAME SCRIPT [optional]: runs one build script and records its wall time and outcome.
step() {
  local name="$1" script="$2" optional="${3:-}" t0 out rc=0
  t0=$(date +%s)
  if [ -n "$optional" ]; then
    out="$(bash "$DIR/$script" 2>"$KFAAS_CACHE/.$name.err")" || rc=$?
    [ "$rc" = 0 ] || log "$name unavailable: $(grep -m1 '^error' "$KFAAS_CACHE/.$name.err" || head -n 1 "$KFAAS_CACHE/.$name.err")"
  else
    out="$(bash "$DIR/$script")" || rc=$?
  fi
  local secs=$(( $(date +%s) - t0 ))
  if [ "$rc" != 0 ]; then
    if [ -n "$optional" ]; then
      summary+=("$(printf '%-10s %5ss  unavailable (optional, skipped)' "$name" "$secs")")
      return 0
    fi
    echo "error: building $name failed (exit $rc); see the messages above" >&2
    exit "$rc"
  fi
  summary+=("$(printf '%-10s %5ss  %s' "$name" "$secs" "$out")")
}

step kafka kafka-jars.sh
step etcd etcd-bin.sh
step k8s k8s-bins.sh
step helm helm-bin.sh
step node-deps node-deps.sh
step pause pause-bin.sh
step jaeger jaeger-bin.sh
step chromium chromium.sh
# faas-cli is not used by the test suites; a proxy that refuses its module must not fail the build.
step faas-cli faas-cli-bin.sh optional

log "tool timings (wall seconds; a few seconds means the cache was warm):"
printf '  %s\n' "${summary[@]}" >&2
