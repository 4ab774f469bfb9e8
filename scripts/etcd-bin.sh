#!/usr/bin/env bash
# Builds etcd from its Go module into the cache (never into the repo) and prints the binary's directory.
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.24 from the Go site"
ETCD_VERSION="${ETCD_VERSION:-3.6.8}"
KEY="$ETCD_VERSION-$(recipe_hash "$0" "$(dirname "$0")/lib.sh")"
OUT="$KFAAS_CACHE/etcd/$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  log "building etcd v$ETCD_VERSION (cold build, a few minutes)"
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
  cd "$WORK"
  go mod init local/etcdbin >/dev/null 2>&1
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null 2>&1
  go mod tidy >/dev/null 2>&1
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$TMP/bin/etcd" .
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"
  log "etcd built in $(( $(date +%s) - start ))s"
fi
echo "$OUT/bin"
