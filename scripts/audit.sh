#!/usr/bin/env bash
# Checks the production dependencies against the registry's advisory database (`npm audit --omit=dev`).
#   scripts/audit.sh                  exit 0 when clean, 1 naming each finding, 2 when the audit could not run
#   scripts/audit.sh --report FILE    read a saved `npm audit --omit=dev --json` report instead (the tests use it)
# Exit 2 is not "clean": where the registry's audit endpoint cannot be reached, follow the manual method of
# docs/dependency-audit.md instead.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REPORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --report) REPORT="${2:?--report needs a file}"; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "audit: unknown argument '$1' (use --report FILE)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$REPORT" ]; then
  REPORT="$(mktemp)"
  trap 'rm -f "$REPORT"' EXIT
  # npm audit exits 1 on findings and on an endpoint error alike; the JSON report tells the two apart.
  (cd "$ROOT" && npm audit --omit=dev --json >"$REPORT" 2>/dev/null) || true
elif [ ! -f "$REPORT" ]; then
  echo "audit: no report at $REPORT" >&2
  exit 2
fi

node --input-type=module - "$REPORT" <<'NODE'
import fs from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`audit: the npm audit report is not JSON (${err.message}); the audit did not run`);
  process.exit(2);
}
// An endpoint failure (for example 405 from a registry or proxy that does not serve audits) comes back as a
// report with `error` and no `metadata`: say so, rather than reading it as "no findings".
if (report.error !== undefined || report.metadata?.vulnerabilities === undefined) {
  const why = report.message || report.error?.summary || report.statusCode || 'no reason given';
  console.error(`audit: the advisory endpoint did not answer (${why}); the audit did not run.`);
  console.error('audit: see docs/dependency-audit.md for the manual audit.');
  process.exit(2);
}
const counts = report.metadata.vulnerabilities;
const production = report.metadata.dependencies?.prod ?? 'the';
if (!counts.total) {
  console.log(`audit: no advisories for ${production} production dependencies`);
  process.exit(0);
}
for (const v of Object.values(report.vulnerabilities ?? {})) {
  // `via` holds advisories (objects) for the package itself, or names of the dependencies that bring one in.
  const advisories = v.via.map((x) => (typeof x === 'string' ? `through ${x}` : `${x.title} (${x.url})`));
  const fix = v.fixAvailable === false ? 'no fix released' : 'fix available';
  console.log(`${v.severity.padEnd(8)} ${v.name} ${v.range}: ${advisories.join('; ')}; ${fix}`);
}
const bySeverity = ['critical', 'high', 'moderate', 'low', 'info'].filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
console.log(`audit: ${counts.total} finding(s) in the production dependencies (${bySeverity.join(', ')})`);
process.exit(1);
NODE
