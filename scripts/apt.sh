# apt_ensure for the scripts that install Debian packages. Sourced after lib.sh, never executed; kept out of
# lib.sh because lib.sh is part of the tool builds' cache keys.
# apt_ensure WHAT PACKAGE=PATH...: installs with apt-get (as root) each Debian package whose PATH is not executable;
# WHAT names who needs them in the error a non-root user gets.
apt_ensure() {
  local what="$1"; shift
  local missing=() pair
  for pair in "$@"; do [ -x "${pair#*=}" ] || missing+=("${pair%%=*}"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "error: $what need these Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}
