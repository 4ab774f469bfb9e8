/** Checks an async call's `X-Callback-Url` when the call is accepted: its form, then the callback policy. */
import type { CallbackPolicy } from '../../common/callback-policy.js';
import { KfaasError } from '../../common/errors.js';

/**
 * Returns the callback URL to store, or undefined when the call has none. A malformed or non-http(s) URL is a
 * 400 BAD_CALLBACK_URL; a host the policy refuses is a 403 CALLBACK_NOT_ALLOWED whose message names the rule.
 * Names are checked as written here; the worker checks what they resolve to when it sends the callback.
 */
export function checkCallbackUrl(value: string | string[] | undefined, policy: CallbackPolicy): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KfaasError('BAD_CALLBACK_URL', `X-Callback-Url ${JSON.stringify(text)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KfaasError('BAD_CALLBACK_URL', `X-Callback-Url must use http or https (got ${JSON.stringify(url.protocol)})`);
  }
  const refused = policy.checkUrl(url);
  if (refused) throw new KfaasError('CALLBACK_NOT_ALLOWED', `X-Callback-Url refused: ${refused}`);
  return text;
}
