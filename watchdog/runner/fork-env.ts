/**
 * The request as environment variables for a forked function, as the classic OpenFaaS watchdog sets them:
 * `Http_Method`, `Http_Path`, `Http_Query` and one `Http_<Header_Name>` per header (`-` becomes `_`).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Builds the `Http_*` variables of one request. */
export function requestEnv(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    env[`Http_${canonicalName(name)}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  const target = url ?? '/';
  const q = target.indexOf('?');
  // Set after the headers, so a header named "Method" or "Path" cannot shadow the real request line.
  env['Http_Method'] = method ?? 'GET';
  env['Http_Path'] = q === -1 ? target : target.slice(0, q);
  env['Http_Query'] = q === -1 ? '' : target.slice(q + 1);
  return env;
}

/** Go's canonical header form with `-` replaced: `x-call-id` becomes `X_Call_Id`. */
export function canonicalName(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('_');
}
