/**
 * The worker's core, independent of the queue backend: run one call through the gateway, let the pure retry
 * policy judge the outcome, deliver the callback, and return what the source must persist. Function failures
 * become decisions; only an aborted (shutting-down) handler throws, so the record is redelivered.
 */
import { setMaxListeners } from 'node:events';
import type { DeliveryPolicy } from '../common/delivery-policy.js';
import type { DeadLetterReason, Invocation, InvocationResult } from '../common/invocation.js';
import type { Logger } from '../common/logger.js';
import type { InvocationHandler, ProcessDecision } from '../common/queue.js';
import type { CallbackPoster } from './callback/post-callback.js';
import type { CallbackRetryConfig } from './config.js';
import type { FunctionInvoker, InvokeResult } from './invoke/invoke-function.js';
import type { WorkerObserver } from './observer.js';
import { backoffDelayMs, type JitterMode } from '../common/backoff.js';
import { type AttemptOutcome, classify, decide, isExpired } from './retry/retry-policy.js';

/** What the handler needs. */
export interface InvocationHandlerDeps {
  readonly invoker: FunctionInvoker;
  readonly callbacks: CallbackPoster;
  readonly logger: Logger;
  /** Statuses retried when an envelope's policy lists none. */
  readonly retryOn: readonly number[];
  readonly jitter: JitterMode;
  readonly callbackRetry: CallbackRetryConfig;
  readonly observers?: readonly WorkerObserver[];
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Raised when the source aborted a call mid-flight; the record stays uncommitted and is delivered again. */
export class HandlerAbortedError extends Error {
  constructor(callId: string) {
    super(`call ${callId} was interrupted by shutdown; it will be delivered again`);
    this.name = 'HandlerAbortedError';
  }
}

/** Creates the backend-agnostic invocation handler. */
export function createInvocationHandler(deps: InvocationHandlerDeps): InvocationHandler {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const observers = deps.observers ?? [];
  const emit = <K extends keyof WorkerObserver>(key: K, ...args: Parameters<NonNullable<WorkerObserver[K]>>): void => {
    for (const o of observers) (o[key] as ((...a: typeof args) => void) | undefined)?.(...args);
  };

  const policyOf = (inv: Invocation): DeliveryPolicy =>
    inv.policy.retryOn?.length ? inv.policy : { ...inv.policy, retryOn: deps.retryOn };

  const checkAborted = (inv: Invocation, signal: AbortSignal): void => {
    if (signal.aborted) throw new HandlerAbortedError(inv.callId);
  };

  async function invocationPhase(inv: Invocation, signal: AbortSignal): Promise<ProcessDecision> {
    const policy = policyOf(inv);
    // A delayed call ages from the time it asked to run, not from when it was accepted.
    const ageFrom = inv.delayedUntil ?? inv.enqueuedAt;
    if (isExpired(ageFrom, policy, now())) {
      // Expired while waiting (a long Retry-After, a backlog): report the last status known, if any.
      const result: InvocationResult = {
        status: inv.lastStatus ?? 503,
        headers: {},
        body: Buffer.alloc(0),
        durationMs: 0,
        startedAt: now(),
        ...(inv.lastStatus === undefined ? { failed: true } : {}),
      };
      return finish(inv, result, 'max_event_age', signal);
    }
    const attempt = inv.attempt + 1;
    emit('onAttemptStart', inv, attempt);
    const res = await deps.invoker.invoke(inv, attempt, signal);
    checkAborted(inv, signal);
    emit('onAttemptEnd', inv, attempt, res);
    const outcome: AttemptOutcome =
      res.kind === 'response' ? { kind: 'response', status: res.status, headers: res.headers } : { kind: 'network-error', error: res.error };
    const verdict = decide(outcome, attempt, policy, { random, now, enqueuedAt: ageFrom, jitter: deps.jitter });
    const { lastStatus: _s, lastError: _e, ...rest } = inv;
    const after: Invocation = {
      ...rest,
      attempt,
      ...(res.kind === 'response' ? { lastStatus: res.status } : { lastError: res.error }),
    };
    if (deps.logger.isDebugEnabled()) deps.logger.debug('attempt finished', {
      callId: inv.callId,
      fn: inv.function,
      namespace: inv.namespace,
      attempt,
      statusCode: res.kind === 'response' ? res.status : undefined,
      err: res.kind === 'network-error' ? res.error : undefined,
      durationMs: Math.round(res.durationMs),
      verdict: verdict.kind,
    });
    if (verdict.kind === 'retry') {
      // Turned away unrun by a watchdog at its limit: the next try is still this attempt.
      const next = verdict.uncounted ? { ...after, attempt: inv.attempt } : after;
      return { action: 'retry', invocation: { ...next, notBefore: now() + verdict.delayMs }, delayMs: verdict.delayMs };
    }
    return finish(after, toResult(res), verdict.kind === 'dead-letter' ? verdict.reason : undefined, signal);
  }

  async function callbackPhase(inv: Invocation, result: InvocationResult, signal: AbortSignal): Promise<ProcessDecision> {
    return deliver(inv, result, finalReason(inv, result, policyOf(inv)), signal);
  }

  async function finish(inv: Invocation, result: InvocationResult, reason: DeadLetterReason | undefined, signal: AbortSignal) {
    emit('onFinal', inv, reason === undefined);
    if (!inv.callbackUrl) return conclude(inv, result, reason);
    return deliver(inv, result, reason, signal);
  }

  async function deliver(inv: Invocation, result: InvocationResult, reason: DeadLetterReason | undefined, signal: AbortSignal): Promise<ProcessDecision> {
    const cb = await deps.callbacks.post(inv, result, { attempts: inv.attempt, ...(reason ? { deadLetterReason: reason } : {}) }, signal);
    if (signal.aborted) {
      // Shutdown cut the callback short, but the call itself is done: store its result so only the callback
      // runs again, without counting this try against the receiver.
      return { action: 'retry', invocation: { ...inv, result, notBefore: now() }, delayMs: 0 };
    }
    emit('onCallback', inv, cb, now() - inv.enqueuedAt);
    const tries = (inv.callbackAttempt ?? 0) + 1;
    if (cb.ok) return conclude({ ...inv, callbackAttempt: tries }, result, reason);
    if (cb.refused) {
      // Policy, not a fault of the receiver: retrying cannot change the answer, and no request was sent.
      return {
        action: 'dead-letter',
        reason: 'callback_refused',
        invocation: { ...inv, result, callbackAttempt: tries },
        lastStatus: result.status,
        error: cb.error ?? 'callback refused',
      };
    }
    const log = { callId: inv.callId, fn: inv.function, namespace: inv.namespace, statusCode: cb.status, err: cb.error, callbackAttempt: tries };
    if (cb.permanent || tries >= deps.callbackRetry.maxAttempts) {
      const outcome = reason ? `the call itself failed (${reason}, last status ${result.failed ? 'none' : result.status})` : `the call succeeded with ${result.status}`;
      return {
        action: 'dead-letter',
        reason: 'callback_failed',
        invocation: { ...inv, result, callbackAttempt: tries },
        lastStatus: result.status,
        error: `callback failed after ${tries} attempt(s): ${cb.error ?? 'unknown error'}; ${outcome}`,
      };
    }
    deps.logger.debug('callback failed, will retry', log);
    const { minBackoffMs: minMs, maxBackoffMs: maxMs } = deps.callbackRetry;
    const delayMs = backoffDelayMs(tries - 1, { minMs, maxMs, jitter: deps.jitter }, random);
    return { action: 'retry', invocation: { ...inv, result, callbackAttempt: tries, notBefore: now() + delayMs }, delayMs };
  }

  function conclude(inv: Invocation, result: InvocationResult, reason: DeadLetterReason | undefined): ProcessDecision {
    if (!reason) return { action: 'complete', invocation: inv, result };
    return {
      action: 'dead-letter',
      reason,
      invocation: inv,
      result,
      ...(inv.lastStatus !== undefined ? { lastStatus: inv.lastStatus } : {}),
      ...(inv.lastError !== undefined ? { error: inv.lastError } : {}),
    };
  }

  // Sources share one signal across all in-flight calls; each call's HTTP exchange listens on it.
  const widened = new WeakSet<AbortSignal>();

  return async (inv, signal) => {
    if (!widened.has(signal)) {
      setMaxListeners(0, signal);
      widened.add(signal);
    }
    emit('onHandleStart', inv);
    try {
      const decision = inv.result ? await callbackPhase(inv, inv.result, signal) : await invocationPhase(inv, signal);
      emit('onDecision', inv, decision);
      if (decision.action === 'dead-letter') {
        deps.logger.warn('call dead-lettered', {
          callId: inv.callId,
          fn: inv.function,
          namespace: inv.namespace,
          attempt: decision.invocation.attempt,
          reason: decision.reason,
          statusCode: decision.lastStatus,
          err: decision.error,
        });
      }
      return decision;
    } finally {
      emit('onHandleEnd', inv);
    }
  };
}

function toResult(res: InvokeResult): InvocationResult {
  if (res.kind === 'response') {
    return { status: res.status, headers: res.headers, body: res.body, durationMs: res.durationMs, startedAt: res.startedAt };
  }
  return { status: 503, headers: {}, body: Buffer.alloc(0), durationMs: res.durationMs, startedAt: res.startedAt, failed: true };
}

/**
 * Recovers why a call whose callback is being retried failed, from what its envelope records, so no extra
 * envelope field is needed: the classification is pure, and attempts and age only ever move forward.
 */
export function finalReason(inv: Invocation, result: InvocationResult, policy: DeliveryPolicy): DeadLetterReason | undefined {
  const outcome: AttemptOutcome = result.failed
    ? { kind: 'network-error', error: inv.lastError ?? 'no response' }
    : { kind: 'response', status: result.status, headers: result.headers };
  const cls = classify(outcome, policy);
  if (cls.kind === 'success') return undefined;
  if (cls.kind === 'final') return cls.reason;
  return inv.attempt >= policy.maxAttempts ? 'max_attempts' : 'max_event_age';
}
