import {
  awaitsRedrive,
  cancelledStatus,
  cancels,
  decidedStatus,
  decodeCallStatus,
  encodeCallStatus,
  queuedStatus,
  redrivenInvocation,
  runningStatus,
  selects,
  supersedes,
  progressKey,
  type CallStatus,
} from './call-status.js';
import { DEFAULT_POLICY } from './delivery-policy.js';
import type { Invocation, InvocationResult } from './invocation.js';

function anInvocation(overrides: Partial<Invocation> = {}): Invocation {
  return {
    version: 1,
    callId: 'call-1',
    function: 'echo',
    namespace: 'kfaas-fn',
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: {},
    body: Buffer.alloc(0),
    enqueuedAt: 1_000,
    attempt: 0,
    policy: DEFAULT_POLICY,
    ...overrides,
  };
}

const result = (status: number, failed?: boolean): InvocationResult => ({
  status,
  headers: {},
  body: Buffer.alloc(0),
  durationMs: 5,
  startedAt: 2_000,
  ...(failed ? { failed } : {}),
});

describe('call status transitions', () => {
  it('goes queued → running → retrying → running → succeeded, each snapshot superseding the last', () => {
    const inv = anInvocation();
    const queued = queuedStatus(inv, 1_000);
    const running1 = runningStatus(inv, 2_000);
    const after1 = { ...inv, attempt: 1, lastStatus: 503, notBefore: 3_500 };
    const retrying = decidedStatus(inv, { action: 'retry', invocation: after1, delayMs: 1_000 }, 2_000, 2_500);
    const running2 = runningStatus(after1, 3_600);
    const done = decidedStatus(after1, { action: 'complete', invocation: { ...after1, attempt: 2, lastStatus: 200 }, result: result(200) }, 3_600, 3_700);

    expect(queued).toMatchObject({ state: 'queued', attempts: 0, enqueuedAt: 1_000 });
    expect(running1).toMatchObject({ state: 'running', attempts: 1, startedAt: 2_000 });
    expect(retrying).toMatchObject({ state: 'retrying', attempts: 1, lastStatus: 503, nextAttemptAt: 3_500, startedAt: 2_000 });
    expect(running2).toMatchObject({ state: 'running', attempts: 2, lastStatus: 503 });
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2, lastStatus: 200, finishedAt: 3_700, startedAt: 3_600 });
    const chain = [queued, running1, retrying, running2, done];
    chain.slice(1).forEach((next, i) => expect(supersedes(next, chain[i])).toBe(true));
    chain.slice(0, -1).forEach((earlier, i) => expect(supersedes(earlier, chain[i + 1])).toBe(false));
    // The byte key a store compares sorts the same way, for every pair.
    for (const a of chain) for (const b of chain) expect(Buffer.compare(progressKey(a), progressKey(b)) > 0).toBe(supersedes(a, b));
  });

  it('orders progress keys by redrives, attempts, callback attempts, phase, then write time, past 2^32 ms', () => {
    const base = queuedStatus(anInvocation(), 2 ** 32 + 5);
    const later = [
      { ...base, updatedAt: 2 ** 33 },
      { ...base, state: 'running' as const, updatedAt: 1 },
      { ...base, callback: { state: 'pending' as const, attempts: 1 }, updatedAt: 1 },
      { ...base, attempts: 1, updatedAt: 1 },
      { ...base, redrives: 1, updatedAt: 1 },
    ];
    for (const next of later) {
      expect(supersedes(next, base)).toBe(true);
      expect(Buffer.compare(progressKey(next), progressKey(base))).toBe(1);
    }
  });

  it('a late queued snapshot never replaces a running one (the two come from different producers)', () => {
    const inv = anInvocation();
    expect(supersedes(queuedStatus(inv, 1_000), runningStatus(inv, 900))).toBe(false);
    const q = queuedStatus(inv, 1_000);
    expect(supersedes(q, { ...q })).toBe(false);
  });

  it('counts the attempt of a bare complete (a handler that returned no envelope)', () => {
    const inv = anInvocation();
    const done = decidedStatus(inv, { action: 'complete' }, undefined, 5);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(supersedes(done, runningStatus(inv, 1))).toBe(true);
  });

  it.each([
    ['not_retriable', 'failed'],
    ['function_not_found', 'failed'],
    ['max_attempts', 'dead-lettered'],
    ['max_event_age', 'dead-lettered'],
  ] as const)('a dead letter for %s is %s, with the reason', (reason, state) => {
    const inv = anInvocation({ attempt: 1, lastStatus: 400 });
    const s = decidedStatus(inv, { action: 'dead-letter', reason, invocation: inv, lastStatus: 400, error: 'boom' }, 10, 20);
    expect(s).toMatchObject({ state, reason, lastStatus: 400, error: 'boom', finishedAt: 20 });
  });

  it('tracks a callback: retrying after the call succeeded, then delivered', () => {
    const inv = anInvocation({ callbackUrl: 'http://127.0.0.1:9/cb' });
    expect(queuedStatus(inv, 1)).toMatchObject({ callback: { state: 'pending', attempts: 0 } });
    const withResult = { ...inv, attempt: 1, lastStatus: 200, result: result(200), callbackAttempt: 1, notBefore: 50 };
    const cbRetry = decidedStatus(inv, { action: 'retry', invocation: withResult, delayMs: 40 }, 5, 10);
    expect(cbRetry).toMatchObject({ state: 'succeeded', finishedAt: 10, lastStatus: 200, callback: { state: 'retrying', attempts: 1 } });
    const delivering = runningStatus(withResult, 50);
    expect(delivering).toMatchObject({ state: 'succeeded', callback: { state: 'delivering', attempts: 2 } });
    const delivered = decidedStatus(withResult, { action: 'complete', invocation: { ...withResult, callbackAttempt: 2 } }, 50, 60);
    expect(delivered).toMatchObject({ state: 'succeeded', callback: { state: 'delivered', attempts: 2 } });
    expect(supersedes(delivering, cbRetry)).toBe(true);
    expect(supersedes(delivered, delivering)).toBe(true);
  });

  it('a callback that fails for good dead-letters the call with reason callback_failed', () => {
    const inv = anInvocation({ callbackUrl: 'http://127.0.0.1:9/cb', attempt: 1, result: result(200), callbackAttempt: 4 });
    const s = decidedStatus(inv, { action: 'dead-letter', reason: 'callback_failed', invocation: { ...inv, callbackAttempt: 5 } }, 1, 2);
    expect(s).toMatchObject({ state: 'dead-lettered', reason: 'callback_failed', callback: { state: 'failed', attempts: 5 } });
  });

  it('a stored result that no function answered reads as failed while its callback is retried', () => {
    const inv = anInvocation({ callbackUrl: 'http://127.0.0.1:9/cb', attempt: 3, result: result(503, true), callbackAttempt: 1 });
    expect(runningStatus(inv, 1)).toMatchObject({ state: 'failed' });
  });
});

describe('cancel and redrive rules', () => {
  it('a cancel stops the run it was made for, not a later attempt or a redriven call', () => {
    const inv = anInvocation({ attempt: 1 });
    const cancelled = cancelledStatus({ ...queuedStatus(inv, 1), state: 'retrying', nextAttemptAt: 9 }, 5);
    expect(cancelled).toMatchObject({ state: 'cancelled', finishedAt: 5 });
    expect(cancelled.nextAttemptAt).toBeUndefined();
    expect(cancels(cancelled, inv)).toBe(true);
    expect(cancels(cancelled, { ...inv, attempt: 2 })).toBe(false);
    expect(cancels(cancelled, { ...inv, attempt: 0, redrives: 1 })).toBe(false);
    expect(cancels(queuedStatus(inv, 1), inv)).toBe(false);
    // A run the cancel came too late for shows as what it is.
    expect(supersedes(runningStatus({ ...inv, attempt: 2 }, 9), cancelled)).toBe(true);
  });

  it('a redriven call keeps its id, restarts its attempts, ages from now and outranks its dead letter', () => {
    const dead = anInvocation({ attempt: 3, lastStatus: 503, notBefore: 50, callbackAttempt: 2 });
    const again = redrivenInvocation(dead, 1_000);
    expect(again).toMatchObject({ callId: dead.callId, attempt: 0, redrives: 1, delayedUntil: 1_000 });
    expect(again.lastStatus).toBeUndefined();
    expect(again.notBefore).toBeUndefined();
    expect(again.callbackAttempt).toBeUndefined();
    const deadStatus = decidedStatus(dead, { action: 'dead-letter', reason: 'max_attempts', invocation: dead }, 1, 2);
    expect(supersedes(queuedStatus(again, 1_000), deadStatus)).toBe(true);
    expect(awaitsRedrive(dead, deadStatus)).toBe(true);
    expect(awaitsRedrive(dead, queuedStatus(again, 1_000))).toBe(false);
    expect(awaitsRedrive(dead, undefined)).toBe(true);
  });

  it.each([
    [{ all: true } as const, true],
    [{ callIds: ['call-1'] }, true],
    [{ callIds: ['call-2'] }, false],
    [{ function: 'echo', namespace: 'kfaas-fn' }, true],
    [{ function: 'echo', namespace: 'other' }, false],
  ])('selector %j selects the call: %p', (selector, expected) => {
    expect(selects(selector, anInvocation())).toBe(expected);
  });
});

describe('queued snapshot', () => {
  it('holds exactly the identity, attempts and time of a plain call', () => {
    expect(queuedStatus(anInvocation({ attempt: 0 }), 7)).toStrictEqual({
      callId: 'call-1',
      function: 'echo',
      namespace: 'kfaas-fn',
      enqueuedAt: 1_000,
      state: 'queued',
      attempts: 0,
      updatedAt: 7,
    });
  });

  it('adds redrives, the due time of a delayed call and the pending callback only when the call has them', () => {
    const inv = anInvocation({ redrives: 2, notBefore: 5_000, callbackUrl: 'http://198.18.0.1/cb', callbackAttempt: 1 });
    expect(queuedStatus(inv, 7)).toStrictEqual({
      callId: 'call-1',
      function: 'echo',
      namespace: 'kfaas-fn',
      enqueuedAt: 1_000,
      redrives: 2,
      state: 'queued',
      attempts: 0,
      nextAttemptAt: 5_000,
      callback: { state: 'pending', attempts: 1 },
      updatedAt: 7,
    });
  });
});

describe('call status codec', () => {
  it('round-trips a snapshot', () => {
    const s: CallStatus = { ...queuedStatus(anInvocation({ callbackUrl: 'http://x/' }), 7) };
    expect(decodeCallStatus(encodeCallStatus(s))).toEqual(s);
  });

  it.each([
    [{ callId: 1 }, 'callId'],
    [{ attempts: 'x' }, 'attempts'],
    [{ state: 'lost' }, 'unknown'],
  ])('rejects a snapshot with a bad field (%j)', (patch, problem) => {
    const s = { ...queuedStatus(anInvocation(), 7), ...patch };
    expect(() => decodeCallStatus(Buffer.from(JSON.stringify(s)))).toThrow(problem);
  });
});
