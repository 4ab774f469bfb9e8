#!/usr/bin/env bash
# Installs the benchmarks' native tools when missing: wrk (the load generator; a Node one would compete with
# the server under test for the same cores) and nginx (the reverse-proxy baseline). Uses apt-get as root.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/apt.sh"
apt_ensure "the benchmarks" wrk=/usr/bin/wrk nginx-light=/usr/sbin/nginx
