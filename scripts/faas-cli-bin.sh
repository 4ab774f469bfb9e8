#!/usr/bin/env bash
# Builds faas-cli from its Go module into the cache and prints the bin dir.
# faas-cli tags carry no "v" prefix, so Go does not see them as semantic versions: the tag (or a commit) is
# resolved to a pseudo-version first, and that pseudo-version is what `go install` gets.
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.26 from the Go site"
FAAS_CLI_REF="${FAAS_CLI_REF:-0.17.8}"
KEY="$FAAS_CLI_REF-$(recipe_hash "$0")"
OUT="$KFAAS_CACHE/faas-cli/$KEY"
MOD=github.com/openfaas/faas-cli
REFUSED="$OUT.refused"
if ! is_complete "$OUT"; then
  # A refusal from the module proxy is final for that ref: remember it instead of asking again on every run.
  if [ -f "$REFUSED" ]; then
    echo "error: the Go module proxy refused $MOD@$FAAS_CLI_REF before ($REFUSED); set FAAS_CLI_REF to another ref" >&2
    exit 1
  fi
  start=$(date +%s)
  log "building faas-cli $FAAS_CLI_REF"
  if ! INFO="$(go list -m -json "$MOD@$FAAS_CLI_REF" 2>&1)"; then
    if printf '%s' "$INFO" | grep -qE '40[34]|410|not available|invalid version|unknown revision'; then
      mkdir -p "$(dirname "$OUT")"; printf '%s\n' "$INFO" > "$REFUSED"
    fi
    printf 'error: the Go module proxy does not serve %s@%s:\n%s\n' "$MOD" "$FAAS_CLI_REF" "$INFO" >&2
    echo "hint: set FAAS_CLI_REF to a tag or commit the proxy serves" >&2
    exit 1
  fi
  PSEUDO="$(printf '%s\n' "$INFO" | sed -n 's/.*"Version": "\(.*\)".*/\1/p' | head -1)"
  log "faas-cli $FAAS_CLI_REF resolves to $PSEUDO"
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  trap 'rm -rf "$TMP"' EXIT
  CGO_ENABLED=0 GOBIN="$TMP/bin" go install -trimpath \
    -ldflags "-s -w -X $MOD/version.Version=$FAAS_CLI_REF" "$MOD@$PSEUDO"
  echo "$PSEUDO" > "$TMP/version"
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"; trap - EXIT
  log "faas-cli built in $(( $(date +%s) - start ))s"
fi
echo "$OUT/bin"
