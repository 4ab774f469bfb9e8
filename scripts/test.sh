#!/usr/bin/env bash
# Runs the unit and integration jest projects once (jest's globalSetup starts Kafka and the Kubernetes control
# plane, globalTeardown stops them, failures included) and ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS="${KFAAS_TEST_RESULTS:-test-results.json}"
rm -f "$RESULTS"
export KAFKAJS_NO_PARTITIONER_WARNING=1
# Two workers: the machine has two cores, and the integration suites share one set of services.
NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning ${NODE_OPTIONS:-}" npx jest --selectProjects unit integration \
  --maxWorkers=2 --passWithNoTests --json --outputFile="$RESULTS" "$@"
rc=$?

# The summary counts tests; a suite that failed to load (syntax error, failed import) counts as one failure.
summary="$(node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { process.stdout.write("none"); process.exit(0); }
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  process.stdout.write(`${r.numPassedTests} ${failed} ${r.numPendingTests + r.numTodoTests}`);
' "$RESULTS")"
if [ "$summary" = none ]; then
  echo "error: jest wrote no results to $RESULTS (did the global setup fail? see above)" >&2
  echo "0 passed, 1 failed"
  exit "$(( rc == 0 ? 1 : rc ))"
fi
read -r passed failed skipped <<<"$summary"
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
if [ "$rc" -ne 0 ] || [ "$failed" -gt 0 ]; then exit $(( rc == 0 ? 1 : rc )); fi
if [ "$passed" -eq 0 ]; then echo "error: no test ran" >&2; exit 1; fi
