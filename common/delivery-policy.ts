/** The async delivery policy of a function: its timeouts and retry rules, fixed at enqueue time. */
import { parseDuration } from './duration.js';
import { effectivePlatformSettings } from './function-settings.js';
import { ValidationError } from './errors.js';
import type { FunctionSpec } from './function-types.js';

/** Timeouts and retry rules carried in every envelope, so a spec change never alters a queued call. */
export interface DeliveryPolicy {
  readonly execTimeoutMs: number;
  /** Total invocation attempts, the first included. */
  readonly maxAttempts: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Age after which a call that has not completed is dead-lettered; 0 = no limit. */
  readonly maxEventAgeMs: number;
  /** Function statuses that are retried (network errors always are). */
  readonly retryOn: readonly number[];
}

/** Documented defaults for the async delivery policy. */
export const DEFAULT_POLICY: DeliveryPolicy = Object.freeze({
  execTimeoutMs: 30_000,
  maxAttempts: 3,
  minBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  maxEventAgeMs: 6 * 3_600_000,
  retryOn: Object.freeze([408, 429, 500, 502, 503, 504]),
});

/** Builds the delivery policy of a function from its spec, applying the defaults; throws a ValidationError. */
export function policyFromSpec(spec: FunctionSpec, defaults: DeliveryPolicy = DEFAULT_POLICY): DeliveryPolicy {
  // The same exec timeout the watchdog gets, whether it came from timeouts.exec or environment.exec_timeout.
  const settings = effectivePlatformSettings(spec);
  const retry = spec.retry ?? {};
  const maxAttempts = retry.maxAttempts ?? defaults.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ValidationError('retry.maxAttempts', `must be an integer >= 1 (got ${JSON.stringify(retry.maxAttempts)})`);
  }
  const minBackoffMs = retry.minBackoff ? parseDuration(retry.minBackoff, 'retry.minBackoff') : defaults.minBackoffMs;
  const maxBackoffMs = retry.maxBackoff ? parseDuration(retry.maxBackoff, 'retry.maxBackoff') : defaults.maxBackoffMs;
  if (maxBackoffMs < minBackoffMs) {
    throw new ValidationError('retry.maxBackoff', `must not be below retry.minBackoff (${retry.maxBackoff} < ${retry.minBackoff})`);
  }
  return Object.freeze({
    execTimeoutMs: parseDuration(settings.timeouts.exec, settings.sources.exec.replace(/^(default of )?spec\./, '')),
    maxAttempts,
    minBackoffMs,
    maxBackoffMs,
    maxEventAgeMs: spec.maxEventAge ? parseDuration(spec.maxEventAge, 'maxEventAge') : defaults.maxEventAgeMs,
    retryOn: defaults.retryOn,
  });
}
