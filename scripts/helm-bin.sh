#!/usr/bin/env bash
# Builds helm v4 from its Go module into the cache (never into the repo) and prints the bin dir.
# Helm v4 derives its default .Capabilities.KubeVersion from its embedded client-go, so no KubeVersion stamp is
# needed; the version stamp only makes `helm version` print the full tag instead of "v4".
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.26 from the Go site"
HELM_VERSION="${HELM_VERSION:-4.3.1}"
KEY="$HELM_VERSION-$(recipe_hash "$0")"
OUT="$KFAAS_CACHE/helm/$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  log "building helm v$HELM_VERSION (cold build, a few minutes)"
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  trap 'rm -rf "$TMP"' EXIT
  CGO_ENABLED=0 GOBIN="$TMP/bin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@v$HELM_VERSION"
  "$TMP/bin/helm" version >&2
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"; trap - EXIT
  log "helm built in $(( $(date +%s) - start ))s"
fi
echo "$OUT/bin"
