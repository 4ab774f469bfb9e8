#!/usr/bin/env bash
# Builds the test node's pod sandbox program (test-infra/pause, static, no dependencies) into the cache and prints
# its bin dir. The upstream pause image lives on a registry this machine cannot reach.
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.22 from the Go site"
SRC="$REPO_ROOT/test-infra/pause"
KEY="$(recipe_hash "$0" "$SRC/main.go" "$SRC/go.mod")"
OUT="$KFAAS_CACHE/pause/$KEY"
if ! is_complete "$OUT"; then
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  trap 'rm -rf "$TMP"' EXIT
  (cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$TMP/bin/pause" .)
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"; trap - EXIT
fi
echo "$OUT/bin"
