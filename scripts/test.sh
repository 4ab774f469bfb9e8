#!/usr/bin/env bash
# Runs the jest projects and ends with a plain "N passed, N failed" line:
#   1. unit + integration, against Kafka and a control plane whose pods stay Pending (no node);
#   2. e2e, against a fresh Kafka, control plane and a real node (containerd, kubelet, kube-scheduler) running the
#      kfaas images built by scripts/images.sh.
# Each jest run's globalSetup starts its services and globalTeardown stops them, failures included. The two runs
# are sequential: together they would not fit two cores. With arguments (test paths, jest flags), one run: the
# e2e project when an argument names test/e2e, else unit + integration. KFAAS_E2E=0 skips the e2e run.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS="${KFAAS_TEST_RESULTS:-test-results.json}"
export KAFKAJS_NO_PARTITIONER_WARNING=1
export NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning ${NODE_OPTIONS:-}"

# run_jest RESULTS_FILE PROJECT... -- ARGS: one jest run; its exit code is returned.
run_jest() {
  local out="$1"; shift
  local projects=()
  while [ "$1" != -- ]; do projects+=("$1"); shift; done; shift
  rm -f "$out"
  # Two workers: the machine has two cores, and the suites of one run share one set of services. The e2e suite
  # asks for one (its steps share one install).
  npx jest --selectProjects "${projects[@]}" --maxWorkers="${WORKERS:-2}" --passWithNoTests --json --outputFile="$out" "$@"
}

runs=()
rc=0
if [ "$#" -gt 0 ]; then
  if printf '%s\n' "$@" | grep -q 'test/e2e'; then WORKERS=1 run_jest "$RESULTS" e2e -- "$@" || rc=$?
  else run_jest "$RESULTS" unit integration -- "$@" || rc=$?; fi
  runs+=("$RESULTS")
else
  run_jest "$RESULTS" unit integration -- || rc=$?
  runs+=("$RESULTS")
  if [ "${KFAAS_E2E:-1}" != 0 ]; then
    E2E="${RESULTS%.json}-e2e.json"
    WORKERS=1 run_jest "$E2E" e2e -- || rc=$(( rc == 0 ? $? : rc ))
    runs+=("$E2E")
  fi
fi

# The summary counts tests over every run; a suite that failed to load (syntax error, failed import) counts as
# one failure, and a run that wrote no results counts as one failure.
summary="$(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0, missing = [];
  for (const file of process.argv.slice(1)) {
    let r;
    try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { missing.push(file); failed++; continue; }
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  for (const f of missing) process.stderr.write(`error: jest wrote no results to ${f} (did the global setup fail? see above)\n`);
  process.stdout.write(`${passed} ${failed} ${skipped}`);
' "${runs[@]}")"
read -r passed failed skipped <<<"$summary"
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
if [ "$rc" -ne 0 ] || [ "$failed" -gt 0 ]; then exit $(( rc == 0 ? 1 : rc )); fi
if [ "$passed" -eq 0 ]; then echo "error: no test ran" >&2; exit 1; fi
