# Shared helpers for the tool-building scripts: cache layout, timing, prerequisite checks.
# Sourced, never executed.
set -euo pipefail
KFAAS_CACHE="${KFAAS_CACHE:-$HOME/.cache/kfaas}"
export GOFLAGS="${GOFLAGS:--modcacherw}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# need CMD HINT: fail with a message naming the missing tool and how to install it.
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "error: '$1' is required but not on PATH. Install it: $2" >&2
    exit 127
  fi
}

# recipe_hash FILE...: a short hash of the files that define a build, so a changed recipe gets a new cache key.
recipe_hash() { cat "$@" | sha256sum | cut -c1-10; }

# done_marker DIR: true when DIR was completely built before.
is_complete() { [ -f "$1/.complete" ]; }
