/**
 * The status of an async call by its id: the snapshot both queues keep for every call, the port the gateway
 * reads it through, and the pure rules that turn queue events (accepted, started, a decision) into snapshots.
 * Every snapshot is whole (no deltas), so a compacted topic keyed by call id keeps exactly what a reader needs.
 */
import type { DeadLetterReason, Invocation, InvocationResult } from './invocation.js';
import type { ProcessDecision } from './queue.js';

/** Where a call is in its life. */
export type CallState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'dead-lettered' | 'cancelled';

/** States a call never leaves by itself; a long poll ends on them. */
export const FINAL_STATES: ReadonlySet<CallState> = new Set<CallState>(['succeeded', 'failed', 'dead-lettered', 'cancelled']);

/** Where the delivery of a call's callback is. */
export type CallbackState = 'pending' | 'delivering' | 'retrying' | 'delivered' | 'failed';

/** What is known of a call's callback. */
export interface CallbackStatus {
  readonly state: CallbackState;
  readonly attempts: number;
}

/** The function's answer as kept with the status; the body only when it fits the configured maximum. */
export interface CallResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body, base64; absent when truncated. */
  readonly bodyBase64?: string;
  /** Size of the function's body. */
  readonly bytes: number;
  /** True when the body was larger than the maximum and was dropped. */
  readonly truncated: boolean;
  /** True when no function answered (network error, timeout): the status is the platform's 503. */
  readonly noAnswer?: boolean;
}

/** One whole snapshot of a call; epoch-ms times. */
export interface CallStatus {
  readonly callId: string;
  readonly function: string;
  readonly namespace: string;
  readonly state: CallState;
  /** Invocation attempts started so far. */
  readonly attempts: number;
  readonly enqueuedAt: number;
  /** When the latest attempt (or callback delivery) started. */
  readonly startedAt?: number;
  /** When the call reached its final state. */
  readonly finishedAt?: number;
  /** When a waiting retry runs. */
  readonly nextAttemptAt?: number;
  /** HTTP status of the latest attempt. */
  readonly lastStatus?: number;
  /** Why the call was dead-lettered or failed. */
  readonly reason?: DeadLetterReason;
  readonly error?: string;
  readonly callback?: CallbackStatus;
  /** The function's answer, once there is a final one. */
  readonly result?: CallResult;
  /** Times the call was redriven from the dead letters (attempts restart at each). */
  readonly redrives?: number;
  /** When this snapshot was written. */
  readonly updatedAt: number;
}

/** Reads call status; the Kafka and embedded adapters implement it and pass one contract suite. */
export interface CallStatusReader {
  /** The latest snapshot, or undefined for an unknown or expired call id. */
  get(callId: string): Promise<CallStatus | undefined>;
  /**
   * Resolves with the first snapshot in a final state, or with the latest snapshot (undefined when none)
   * once `timeoutMs` passes or `signal` aborts.
   */
  waitForFinal(callId: string, timeoutMs: number, signal?: AbortSignal): Promise<CallStatus | undefined>;
  /** Calls not yet final (the async backlog), per function and state. */
  backlog(): Promise<AsyncBacklog>;
}

/** The async backlog: calls queued, running or waiting for a retry, per function. */
export interface AsyncBacklog {
  readonly functions: ReadonlyArray<{ function: string; namespace: string; queued: number; running: number; retrying: number }>;
  /** True when more open calls exist than were counted (see BACKLOG_COUNT_LIMIT). */
  readonly truncated: boolean;
  /** How far behind the queue these counts may be, in ms (a status view's recent delay); absent = up to date. */
  readonly lagMs?: number;
}

/** At most this many open calls are read to count the backlog: a dashboard poll stays cheap under any backlog. */
export const BACKLOG_COUNT_LIMIT = 100_000;

// Hop-by-hop and framing headers describe the original exchange, not the answer a reader gets later.
const DROPPED_RESULT_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'trailer', 'upgrade']);

/** The kept form of a result: its body only when at most `maxBytes`. */
export function callResultOf(result: InvocationResult, maxBytes: number): CallResult {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.headers)) if (!DROPPED_RESULT_HEADERS.has(key.toLowerCase())) headers[key.toLowerCase()] = value;
  const fits = result.body.length <= maxBytes;
  return {
    status: result.status,
    headers,
    ...(fits ? { bodyBase64: result.body.toString('base64') } : {}),
    bytes: result.body.length,
    truncated: !fits,
    ...(result.failed ? { noAnswer: true } : {}),
  };
}

/** The function's result a decision carries, if any (complete, dead letter, or a stored one awaiting its callback). */
export function resultOfDecision(decision: ProcessDecision): InvocationResult | undefined {
  if (decision.action === 'complete') return decision.result ?? decision.invocation?.result;
  if (decision.action === 'dead-letter') return decision.result ?? decision.invocation.result;
  return decision.invocation.result;
}

/** States in which a call may still be cancelled: nothing is running it. */
export const CANCELLABLE_STATES: ReadonlySet<CallState> = new Set<CallState>(['queued', 'retrying']);

/** What a cancel request found: whether it cancelled the call, and the call's status after it. */
export interface CancelOutcome {
  readonly cancelled: boolean;
  readonly status: CallStatus;
}

/** Cancels calls that no worker runs yet; both queues implement it. */
export interface CallCanceller {
  /** Cancels a queued or retrying call; undefined for an unknown call id. */
  cancel(callId: string): Promise<CancelOutcome | undefined>;
}

/** The snapshot of a call cancelled at `at`. */
export function cancelledStatus(current: CallStatus, at: number): CallStatus {
  const { nextAttemptAt: _next, ...rest } = current;
  return { ...rest, state: 'cancelled', finishedAt: at, updatedAt: at };
}

/** True when a cancelled snapshot stops this run of a call (an attempt it did not see start). */
export function cancels(cancelled: CallStatus | undefined, inv: Invocation): boolean {
  return (
    cancelled?.state === 'cancelled' &&
    (cancelled.redrives ?? 0) === (inv.redrives ?? 0) &&
    cancelled.attempts >= inv.attempt &&
    inv.result === undefined
  );
}

/** Which dead letters a redrive takes: by call id, by function, or all of them. */
export type RedriveSelector =
  | { readonly callIds: readonly string[] }
  | { readonly function: string; readonly namespace: string }
  | { readonly all: true };

/** What a redrive did. */
export interface RedriveOutcome {
  /** Call ids enqueued again. */
  readonly redriven: readonly string[];
  /** Dead letters that matched but were not enqueued: already redriven, or undecodable. */
  readonly skipped: number;
}

/** Takes dead letters back into the queue; both queues implement it. */
export interface DeadLetterRedriver {
  redrive(selector: RedriveSelector): Promise<RedriveOutcome>;
}

/** The call a redrive enqueues: same id, attempts reset, its age counted from `now`. */
export function redrivenInvocation(inv: Invocation, now: number): Invocation {
  const { lastStatus: _s, lastError: _e, result: _r, callbackAttempt: _c, notBefore: _n, ...rest } = inv;
  return { ...rest, attempt: 0, delayedUntil: now, redrives: (inv.redrives ?? 0) + 1 };
}

/** True when a redrive should take the dead letter of `inv`: its status still shows that very dead letter. */
export function awaitsRedrive(inv: Invocation, status: CallStatus | undefined): boolean {
  if (!status) return true;
  return (status.state === 'dead-lettered' || status.state === 'failed') && (status.redrives ?? 0) === (inv.redrives ?? 0);
}

/** True when a call is one the selector names. */
export function selects(selector: RedriveSelector, inv: Invocation): boolean {
  if ('all' in selector) return true;
  if ('callIds' in selector) return selector.callIds.includes(inv.callId);
  return inv.function === selector.function && inv.namespace === selector.namespace;
}

/** True when a call in this state is over. */
export function isFinal(state: CallState): boolean {
  return FINAL_STATES.has(state);
}

const identity = (inv: Invocation): Pick<CallStatus, 'callId' | 'function' | 'namespace' | 'enqueuedAt' | 'redrives'> => ({
  callId: inv.callId,
  function: inv.function,
  namespace: inv.namespace,
  enqueuedAt: inv.enqueuedAt,
  ...(inv.redrives ? { redrives: inv.redrives } : {}),
});

const callbackOf = (inv: Invocation, state: CallbackState, attempts = inv.callbackAttempt ?? 0): { callback?: CallbackStatus } =>
  inv.callbackUrl === undefined ? {} : { callback: { state, attempts } };

/** The snapshot of a call the gateway has just stored. */
export function queuedStatus(inv: Invocation, at: number): CallStatus {
  // Built field by field, not from spreads: this runs on every accepted call, and the spread form (temporary
  // objects, a slower shape to stringify) cost about 5 µs more per call with its encoding.
  const s: { -readonly [K in keyof CallStatus]: CallStatus[K] } = {
    callId: inv.callId,
    function: inv.function,
    namespace: inv.namespace,
    enqueuedAt: inv.enqueuedAt,
    state: 'queued',
    attempts: inv.attempt,
    updatedAt: at,
  };
  if (inv.redrives) s.redrives = inv.redrives;
  if (inv.notBefore !== undefined) s.nextAttemptAt = inv.notBefore;
  if (inv.callbackUrl !== undefined) s.callback = { state: 'pending', attempts: inv.callbackAttempt ?? 0 };
  return s;
}

/** The snapshot of a call whose handler starts now: an attempt, or (with a stored result) a callback delivery. */
export function runningStatus(inv: Invocation, at: number): CallStatus {
  if (inv.result) {
    return {
      ...outcomeOf(inv, inv.result.status, inv.result.failed),
      ...identity(inv),
      attempts: inv.attempt,
      startedAt: at,
      ...callbackOf(inv, 'delivering', (inv.callbackAttempt ?? 0) + 1),
      updatedAt: at,
    };
  }
  return {
    ...identity(inv),
    state: 'running',
    attempts: inv.attempt + 1,
    startedAt: at,
    ...(inv.lastStatus !== undefined ? { lastStatus: inv.lastStatus } : {}),
    ...callbackOf(inv, 'pending'),
    updatedAt: at,
  };
}

/** The snapshot after the source stored `decision` for `inv` (the call as it entered the handler). */
export function decidedStatus(inv: Invocation, decision: ProcessDecision, startedAt: number | undefined, at: number): CallStatus {
  const started = startedAt !== undefined ? { startedAt } : {};
  if (decision.action === 'complete') {
    // Without the handler's final envelope, the attempt (or callback delivery) that just ran still counts.
    const after =
      decision.invocation ?? (inv.result ? { ...inv, callbackAttempt: (inv.callbackAttempt ?? 0) + 1 } : { ...inv, attempt: inv.attempt + 1 });
    const delivered = after.callbackUrl !== undefined ? { callback: { state: 'delivered' as const, attempts: after.callbackAttempt ?? 0 } } : {};
    return {
      ...identity(after),
      state: 'succeeded',
      attempts: after.attempt,
      ...started,
      finishedAt: at,
      ...lastStatusOf(after, decision.result?.status),
      ...delivered,
      updatedAt: at,
    };
  }
  const after = decision.invocation;
  if (decision.action === 'retry') {
    const callbackRetry = after.result !== undefined;
    return {
      ...(callbackRetry ? outcomeOf(after, after.result?.status, after.result?.failed) : { state: 'retrying' as const }),
      ...identity(after),
      attempts: after.attempt,
      ...started,
      ...(callbackRetry && inv.result === undefined ? { finishedAt: at } : {}),
      nextAttemptAt: after.notBefore ?? at + decision.delayMs,
      ...lastStatusOf(after, after.result?.status),
      ...callbackOf(after, callbackRetry ? 'retrying' : 'pending'),
      updatedAt: at,
    };
  }
  // A 4xx the function meant, or a function deleted meanwhile: a final failure, not a delivery problem.
  const failed = decision.reason === 'not_retriable' || decision.reason === 'function_not_found';
  return {
    ...identity(after),
    state: failed ? 'failed' : 'dead-lettered',
    attempts: after.attempt,
    ...started,
    finishedAt: at,
    ...lastStatusOf(after, decision.lastStatus),
    reason: decision.reason,
    ...(decision.error !== undefined ? { error: decision.error } : {}),
    ...callbackOf(after, decision.reason === 'callback_failed' || decision.reason === 'callback_refused' ? 'failed' : 'pending'),
    updatedAt: at,
  };
}

function lastStatusOf(inv: Invocation, fallback: number | undefined): { lastStatus?: number } {
  const status = inv.lastStatus ?? fallback;
  return status === undefined ? {} : { lastStatus: status };
}

// The outcome of a call whose result is kept while its callback is delivered.
function outcomeOf(inv: Invocation, status: number | undefined, noAnswer: boolean | undefined): Pick<CallStatus, 'state'> & { lastStatus?: number } {
  const ok = !noAnswer && status !== undefined && status < 400;
  return { state: ok ? 'succeeded' : 'failed', ...lastStatusOf(inv, status) };
}

const PHASE_RANK: Readonly<Record<CallState, number>> = {
  queued: 0,
  running: 1,
  retrying: 2,
  succeeded: 3,
  failed: 3,
  'dead-lettered': 3,
  cancelled: 4,
};

/**
 * True when `next` describes a later point of the call than `current`. Writers race (the gateway's `queued`
 * and a fast worker's `running` travel by different producers), so readers keep the most advanced snapshot:
 * ordered by redrives, attempts, callback attempts, phase, then write time.
 */
export function supersedes(next: CallStatus, current: CallStatus | undefined): boolean {
  if (!current) return true;
  const a = progressOf(next);
  const b = progressOf(current);
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
  }
  // The same snapshot again (a gateway reading back its own `queued`): nothing to write.
  return false;
}

function progressOf(s: CallStatus): number[] {
  const phase = s.callback?.state === 'delivering' ? 1 : PHASE_RANK[s.state];
  return [s.redrives ?? 0, s.attempts, s.callback?.attempts ?? 0, phase, s.updatedAt];
}

/**
 * The progress of `s` as bytes that sort like supersedes() (big-endian, fixed width): a store compares two
 * keys with memcmp instead of reading and decoding the snapshot it holds.
 */
export function progressKey(s: CallStatus): Buffer {
  const [redrives, attempts, callbackAttempts, phase, updatedAt] = progressOf(s) as [number, number, number, number, number];
  const key = Buffer.allocUnsafe(24);
  key.writeUInt32BE(redrives, 0);
  key.writeUInt32BE(attempts, 4);
  key.writeUInt32BE(callbackAttempts, 8);
  key.writeUInt32BE(phase, 12);
  const ms = Math.max(0, Math.floor(updatedAt));
  key.writeUInt32BE(Math.floor(ms / 2 ** 32), 16);
  key.writeUInt32BE(ms % 2 ** 32, 20);
  return key;
}

/** The JSON the status API answers with. */
export function callStatusJson(s: CallStatus): Record<string, unknown> {
  const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    callId: s.callId,
    function: s.function,
    namespace: s.namespace,
    state: s.state,
    attempts: s.attempts,
    redrives: s.redrives,
    enqueuedAt: iso(s.enqueuedAt),
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    nextAttemptAt: iso(s.nextAttemptAt),
    lastStatus: s.lastStatus,
    reason: s.reason,
    error: s.error,
    callback: s.callback,
    // The body is served by the result endpoint; the status only says what there is.
    result: s.result ? { status: s.result.status, bytes: s.result.bytes, truncated: s.result.truncated } : undefined,
  };
}

/** Encodes a snapshot for a status record or row. */
export function encodeCallStatus(s: CallStatus): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}

/** Decodes a snapshot written by encodeCallStatus; throws naming what is wrong. */
export function decodeCallStatus(value: Buffer): CallStatus {
  const parsed = JSON.parse(value.toString('utf8')) as Partial<CallStatus>;
  for (const key of ['callId', 'function', 'namespace', 'state'] as const) {
    if (typeof parsed[key] !== 'string') throw new Error(`call status field "${key}" must be a string`);
  }
  for (const key of ['attempts', 'enqueuedAt', 'updatedAt'] as const) {
    if (typeof parsed[key] !== 'number') throw new Error(`call status field "${key}" must be a number`);
  }
  if (!(parsed.state! in PHASE_RANK)) throw new Error(`call status state ${JSON.stringify(parsed.state)} is unknown`);
  return parsed as CallStatus;
}
