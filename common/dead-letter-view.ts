/** How dead letters are shown to people: a table row, or a JSON object without the raw body bytes. */
import type { DeadLetter } from './invocation.js';

/** A JSON-safe view of a dead letter: the body as base64 and its size. */
export function deadLetterJson(dl: DeadLetter): Record<string, unknown> {
  const inv = dl.invocation;
  return {
    reason: dl.reason,
    attempts: dl.attempts,
    lastStatus: dl.lastStatus,
    error: dl.error,
    deadAt: new Date(dl.deadAt).toISOString(),
    ...(inv
      ? {
          callId: inv.callId,
          function: inv.function,
          namespace: inv.namespace,
          method: inv.method,
          path: inv.path,
          rawQuery: inv.rawQuery,
          callbackUrl: inv.callbackUrl,
          enqueuedAt: new Date(inv.enqueuedAt).toISOString(),
          bodyBytes: inv.body.length,
          bodyBase64: inv.body.toString('base64'),
        }
      : { rawBase64: dl.rawBase64 }),
  };
}

/** One human-readable line per dead letter. */
export function formatDeadLetterRow(dl: DeadLetter): string {
  const inv = dl.invocation;
  const what = inv ? `${inv.function}.${inv.namespace} ${inv.callId}` : '(undecodable record)';
  const status = dl.lastStatus === undefined ? '' : ` status=${dl.lastStatus}`;
  const error = dl.error ? ` error=${JSON.stringify(dl.error.slice(0, 120))}` : '';
  return `${new Date(dl.deadAt).toISOString()}  ${what}  reason=${dl.reason} attempts=${dl.attempts}${status}${error}`;
}
