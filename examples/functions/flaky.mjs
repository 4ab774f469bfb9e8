#!/usr/bin/env node
// Fails the first FAIL_TIMES attempts of each call (keyed by its X-Call-Id), then succeeds: shows async retries.
// Fork mode: the watchdog passes the call id as Http_X_Call_Id; a non-zero exit becomes a 500, which is retried.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const failTimes = Number(process.env.FAIL_TIMES ?? '2');
const callId = (process.env.Http_X_Call_Id ?? 'no-call-id').replace(/[^A-Za-z0-9._-]/g, '_');
const dir = process.env.FLAKY_STATE_DIR ?? join(tmpdir(), 'kfaas-flaky');
mkdirSync(dir, { recursive: true });
const file = join(dir, callId);
let seen = 0;
try {
  seen = Number(readFileSync(file, 'utf8')) || 0;
} catch {
  // first attempt of this call
}
writeFileSync(file, String(seen + 1));
if (seen < failTimes) {
  process.stderr.write(`flaky: failing attempt ${seen + 1} of call ${callId} on purpose (succeeds after ${failTimes})\n`);
  process.exit(1);
}
process.stdout.write(`flaky: succeeded on attempt ${seen + 1}\n`);
