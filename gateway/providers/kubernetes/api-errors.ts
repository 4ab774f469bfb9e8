/** Maps Kubernetes API failures to platform errors, by status code (never by message text). */
import { KfaasError } from '../../../common/errors.js';

/** The HTTP status of a client-node ApiException (or undefined for a network-level failure). */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The apiserver's own message from a Status body, when there is one. */
function apiMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      return typeof parsed.message === 'string' ? parsed.message : undefined;
    } catch {
      return undefined;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Converts an API error for `fn` (`name.namespace`) to a KfaasError; `action` names what was attempted. */
export function fromApiError(err: unknown, fn: string, action: string): KfaasError {
  const status = apiStatus(err);
  const detail = apiMessage(err);
  switch (status) {
    case 404:
      return new KfaasError('FN_NOT_FOUND', `function ${fn} not found`, { cause: err });
    case 409:
      return new KfaasError('CONFLICT', `function ${fn} already exists`, { cause: err });
    case 400:
    case 422:
      return new KfaasError('INVALID_FIELD', `${action} ${fn} was rejected by Kubernetes: ${detail ?? 'invalid'}`, { cause: err });
    case 401:
    case 403:
      return new KfaasError('INTERNAL', `the gateway is not allowed to ${action} ${fn} (Kubernetes answered ${status}: ${detail ?? ''}); check its RBAC`, { cause: err });
    default:
      return new KfaasError('UNAVAILABLE', `could not ${action} ${fn}: the Kubernetes API failed (${status ?? (err as Error)?.message ?? 'unknown error'})`, {
        cause: err,
        retryAfterSeconds: 1,
      });
  }
}
