#!/usr/bin/env bash
# Installs the benchmarks' native tools when missing: wrk (the load generator; a Node one would compete with
# the server under test for the same cores) and nginx (the reverse-proxy baseline). Uses apt-get as root.
source "$(dirname "$0")/lib.sh"
declare -A want=([wrk]=/usr/bin/wrk [nginx-light]=/usr/sbin/nginx)
missing=()
for pkg in "${!want[@]}"; do [ -x "${want[$pkg]}" ] || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the benchmarks need these Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi
