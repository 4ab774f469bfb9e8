#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (the browser test drives /usr/bin/chromium through playwright-core,
# which downloads nothing) and prints its path. Installs it with apt-get when missing (needs root).
source "$(dirname "$0")/lib.sh"
CHROMIUM="${KFAAS_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  need apt-get "a Debian-based system, or install Chromium and set KFAAS_CHROMIUM to its path"
  # Only one installer at a time: dpkg's own lock fails rather than waits.
  mkdir -p "$KFAAS_CACHE"; exec 9>"$KFAAS_CACHE/.chromium.lock"
  flock 9
  if [ ! -x "$CHROMIUM" ]; then
    start=$(date +%s)
    log "installing chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
    log "chromium installed in $(( $(date +%s) - start ))s"
  fi
fi
"$CHROMIUM" --version >&2
echo "$CHROMIUM"
