#!/usr/bin/env bash
# Builds the Jaeger collector (v2 binary: OTLP receiver, in-memory store, query API) from its Go module into the
# cache (never into the repo) and prints the bin dir. Only the tracing integration test needs it.
# A `go install` build carries no UI assets (they come from a separate npm build), so the query API works and
# the web UI shows a placeholder; the tests use the API only.
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.26 from the Go site"
JAEGER_VERSION="${JAEGER_VERSION:-1.75.0}"
KEY="$JAEGER_VERSION-$(recipe_hash "$0")"
OUT="$KFAAS_CACHE/jaeger/$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  log "building jaeger v$JAEGER_VERSION (cold build, several minutes)"
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  trap 'rm -rf "$TMP"' EXIT
  # Jaeger's go.mod has replace directives, which `go install module@version` refuses: build inside a copy of
  # the downloaded module instead, so its own go.mod (replaces included) applies.
  SRC="$(go mod download -json "github.com/jaegertracing/jaeger@v$JAEGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$SRC" ] || { echo "error: go mod download gave no source dir for jaeger v$JAEGER_VERSION" >&2; exit 1; }
  cp -r "$SRC" "$TMP/src"; chmod -R u+w "$TMP/src"
  (cd "$TMP/src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/bin/jaeger" ./cmd/jaeger)
  rm -rf "$TMP/src"
  "$TMP/bin/jaeger" version >&2 || true
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"; trap - EXIT
  log "jaeger built in $(( $(date +%s) - start ))s"
fi
echo "$OUT/bin"
