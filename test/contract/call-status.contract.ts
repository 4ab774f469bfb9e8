// The adapter-agnostic contract of call status (common/call-status.ts), run against the Kafka adapters on the
// real broker (status topic + a gateway's local view) and against the embedded SQLite queue. Every case gets
// fresh adapters. Handlers are real functions of the test: gates hold a call mid-flight so a state can be seen.
import type { CallCanceller, CallStatus, CallStatusReader, DeadLetterRedriver } from '../../common/call-status.js';
import type { Invocation } from '../../common/invocation.js';
import type { InvocationHandler, InvocationQueue, InvocationSource, ProcessDecision } from '../../common/queue.js';
import { waitFor } from '../helpers/index.js';
import { anInvocation, gate } from './invocation-queue.contract.js';

/** Largest result body the contract's sources keep (their resultMaxBytes). */
export const CONTRACT_RESULT_MAX_BYTES = 1_024;

/** Fresh status-tracking adapters over one unique topic set or data dir. */
export interface StatusAdapters {
  /** The accepting gateway's queue. */
  readonly queue: InvocationQueue;
  /** A source that writes status (a worker), keeping result bodies up to CONTRACT_RESULT_MAX_BYTES. */
  source(): InvocationSource;
  /** The accepting gateway's status reader. */
  readonly statuses: CallStatusReader;
  /** The accepting gateway's canceller. */
  readonly canceller: CallCanceller;
  /** The accepting gateway's dead-letter redriver. */
  readonly redriver: DeadLetterRedriver;
  /** Closes everything made here; idempotent. */
  close(): Promise<void>;
}

/** Makes fresh adapters for one case. */
export type MakeStatusAdapters = () => Promise<StatusAdapters>;

const CASE_TIMEOUT_MS = 120_000;
const SEEN_MS = 30_000;

/** Polls the reader until the call's snapshot matches `predicate`; returns it. */
async function seen(reader: CallStatusReader, callId: string, predicate: (s: CallStatus) => boolean, what: string): Promise<CallStatus> {
  return waitFor(
    async () => {
      const s = await reader.get(callId);
      return s && predicate(s) ? s : undefined;
    },
    { timeoutMs: SEEN_MS, intervalMs: 20, description: what },
  );
}

const inState = (state: CallStatus['state']) => (s: CallStatus) => s.state === state;

/** Defines the contract cases for one adapter. */
export function describeCallStatusContract(name: string, makeAdapters: MakeStatusAdapters): void {
  describe(`call status contract: ${name}`, () => {
    let adapters: StatusAdapters;

    beforeEach(async () => {
      adapters = await makeAdapters();
    }, CASE_TIMEOUT_MS);

    afterEach(async () => {
      await adapters.close();
    }, CASE_TIMEOUT_MS);

    it('knows nothing of an unknown call id, and a wait for it ends empty at its deadline', async () => {
      expect(await adapters.statuses.get('no-such-call')).toBeUndefined();
      const t0 = Date.now();
      expect(await adapters.statuses.waitForFinal('no-such-call', 300)).toBeUndefined();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    }, CASE_TIMEOUT_MS);

    it('reads its own writes: a call is queued the moment enqueue resolves', async () => {
      const inv = anInvocation({ callbackUrl: 'http://127.0.0.1:9/cb' });
      await adapters.queue.enqueue(inv);
      expect(await adapters.statuses.get(inv.callId)).toMatchObject({
        callId: inv.callId,
        function: inv.function,
        namespace: inv.namespace,
        state: 'queued',
        attempts: 0,
        enqueuedAt: inv.enqueuedAt,
        callback: { state: 'pending', attempts: 0 },
      });
    }, CASE_TIMEOUT_MS);

    it('shows every transition: queued, running, retrying, running again, succeeded', async () => {
      const inv = anInvocation();
      const gates = [gate(), gate()];
      const handler: InvocationHandler = async (call) => {
        await gates[call.attempt]?.promise;
        if (call.attempt === 0) {
          return { action: 'retry', invocation: { ...call, attempt: 1, lastStatus: 503, notBefore: Date.now() + 500 }, delayMs: 500 };
        }
        return { action: 'complete', invocation: { ...call, attempt: 2, lastStatus: 200 } };
      };
      await adapters.queue.enqueue(inv);
      expect((await adapters.statuses.get(inv.callId))?.state).toBe('queued');
      await adapters.source().start(handler);
      const running = await seen(adapters.statuses, inv.callId, inState('running'), 'the first attempt running');
      expect(running).toMatchObject({ attempts: 1 });
      expect(running.startedAt).toBeGreaterThanOrEqual(inv.enqueuedAt);
      gates[0]?.open();
      const retrying = await seen(adapters.statuses, inv.callId, inState('retrying'), 'the retry waiting');
      expect(retrying).toMatchObject({ attempts: 1, lastStatus: 503 });
      expect(retrying.nextAttemptAt).toBeGreaterThan(retrying.startedAt ?? 0);
      const again = await seen(adapters.statuses, inv.callId, (s) => s.state === 'running' && s.attempts === 2, 'the second attempt running');
      expect(again.lastStatus).toBe(503);
      gates[1]?.open();
      const done = await seen(adapters.statuses, inv.callId, inState('succeeded'), 'success');
      expect(done).toMatchObject({ attempts: 2, lastStatus: 200 });
      expect(done.finishedAt).toBeGreaterThanOrEqual(again.startedAt ?? Infinity);
    }, CASE_TIMEOUT_MS);

    it.each([
      ['not_retriable', 'failed'],
      ['max_attempts', 'dead-lettered'],
    ] as const)('a dead letter for %s reads as %s, with the reason and last status', async (reason, state) => {
      const inv = anInvocation();
      await adapters.queue.enqueue(inv);
      await adapters.source().start(async (call): Promise<ProcessDecision> => ({
        action: 'dead-letter',
        reason,
        invocation: { ...call, attempt: call.attempt + 1, lastStatus: 422 },
        lastStatus: 422,
        error: 'unprocessable',
      }));
      const final = await seen(adapters.statuses, inv.callId, inState(state), state);
      expect(final).toMatchObject({ reason, lastStatus: 422, attempts: 1, error: 'unprocessable' });
      expect(final.finishedAt).toBeDefined();
    }, CASE_TIMEOUT_MS);

    it('counts the async backlog per function and state, and a finished call leaves it', async () => {
      const a1 = anInvocation({ function: 'backlog-a' });
      const a2 = anInvocation({ function: 'backlog-a' });
      const b = anInvocation({ function: 'backlog-b' });
      for (const inv of [a1, a2, b]) await adapters.queue.enqueue(inv);
      const entry = async (fn: string) => (await adapters.statuses.backlog()).functions.find((f) => f.function === fn);
      expect(await entry('backlog-a')).toEqual({ function: 'backlog-a', namespace: a1.namespace, queued: 2, running: 0, retrying: 0 });
      expect(await entry('backlog-b')).toMatchObject({ queued: 1, running: 0 });
      const hold = gate();
      await adapters.source().start(async (call) => {
        if (call.callId === b.callId) await hold.promise;
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 200 } };
      });
      await seen(adapters.statuses, b.callId, inState('running'), 'b running');
      await waitFor(async () => (await entry('backlog-a')) === undefined, { timeoutMs: SEEN_MS, description: 'a drained from the backlog' });
      expect(await entry('backlog-b')).toMatchObject({ queued: 0, running: 1 });
      hold.open();
      await waitFor(async () => (await entry('backlog-b')) === undefined, { timeoutMs: SEEN_MS, description: 'b gone from the backlog' });
      expect((await adapters.statuses.backlog()).truncated).toBe(false);
    }, CASE_TIMEOUT_MS);

    it('waitForFinal returns as soon as the call finishes, and the latest snapshot when its wait ends first', async () => {
      const inv = anInvocation();
      const hold = gate();
      await adapters.queue.enqueue(inv);
      await adapters.source().start(async (call) => {
        await hold.promise;
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 204 } };
      });
      await seen(adapters.statuses, inv.callId, inState('running'), 'the call running');
      const early = await adapters.statuses.waitForFinal(inv.callId, 300);
      expect(early?.state).toBe('running');
      const waiting = adapters.statuses.waitForFinal(inv.callId, 60_000);
      hold.open();
      const t0 = Date.now();
      const final = await waiting;
      expect(final).toMatchObject({ state: 'succeeded', lastStatus: 204 });
      // Woken by the write (or the next poll), not by the 60 s deadline.
      expect(Date.now() - t0).toBeLessThan(10_000);
    }, CASE_TIMEOUT_MS);

    it('keeps the answer with the final status: headers and body up to the maximum, beyond it only the size', async () => {
      const small = anInvocation();
      const large = anInvocation();
      const bodies = new Map([
        [small.callId, Buffer.from([0, 1, 2, 255])],
        [large.callId, Buffer.alloc(CONTRACT_RESULT_MAX_BYTES + 1, 7)],
      ]);
      await adapters.queue.enqueue(small);
      await adapters.queue.enqueue(large);
      await adapters.source().start(async (call): Promise<ProcessDecision> => {
        const body = bodies.get(call.callId) ?? Buffer.alloc(0);
        const result = { status: 201, headers: { 'content-type': 'application/x-thing', 'content-length': String(body.length) }, body, durationMs: 1, startedAt: Date.now() };
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 201 }, result };
      });
      const kept = await seen(adapters.statuses, small.callId, inState('succeeded'), 'the small result');
      expect(kept.result).toEqual({ status: 201, headers: { 'content-type': 'application/x-thing' }, bodyBase64: 'AAEC/w==', bytes: 4, truncated: false });
      const dropped = await seen(adapters.statuses, large.callId, inState('succeeded'), 'the large result');
      expect(dropped.result).toEqual({ status: 201, headers: { 'content-type': 'application/x-thing' }, bytes: CONTRACT_RESULT_MAX_BYTES + 1, truncated: true });
    }, CASE_TIMEOUT_MS);

    it('a delayed call is queued with its due time, runs no earlier, and holds no other call up', async () => {
      const notBefore = Date.now() + 2_000;
      const delayed = anInvocation({ notBefore, delayedUntil: notBefore });
      const prompt = anInvocation();
      await adapters.queue.enqueue(delayed);
      await adapters.queue.enqueue(prompt);
      expect(await adapters.statuses.get(delayed.callId)).toMatchObject({ state: 'queued', nextAttemptAt: notBefore });
      const startedAt = new Map<string, number>();
      await adapters.source().start(async (call) => {
        startedAt.set(call.callId, Date.now());
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 200 } };
      });
      await seen(adapters.statuses, prompt.callId, inState('succeeded'), 'the prompt call');
      expect(startedAt.has(delayed.callId)).toBe(false);
      await seen(adapters.statuses, delayed.callId, inState('succeeded'), 'the delayed call');
      expect(startedAt.get(delayed.callId)).toBeGreaterThanOrEqual(notBefore);
      expect(startedAt.get(prompt.callId)).toBeLessThan(notBefore);
    }, CASE_TIMEOUT_MS);

    it('cancels a queued call: it never runs, and later calls still do', async () => {
      const doomed = anInvocation();
      const next = anInvocation();
      await adapters.queue.enqueue(doomed);
      const outcome = await adapters.canceller.cancel(doomed.callId);
      expect(outcome).toMatchObject({ cancelled: true, status: { state: 'cancelled', attempts: 0 } });
      expect(await adapters.statuses.get(doomed.callId)).toMatchObject({ state: 'cancelled' });
      expect((await adapters.statuses.get(doomed.callId))?.finishedAt).toBeDefined();
      const ran: string[] = [];
      await adapters.source().start(async (call) => {
        ran.push(call.callId);
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 200 } };
      });
      await adapters.queue.enqueue(next);
      await seen(adapters.statuses, next.callId, inState('succeeded'), 'the next call');
      expect(ran).toEqual([next.callId]);
      expect((await adapters.statuses.get(doomed.callId))?.state).toBe('cancelled');
    }, CASE_TIMEOUT_MS);

    it('cancels a call waiting for its retry: the retry never runs', async () => {
      const inv = anInvocation();
      const after = anInvocation();
      const runs: Array<[string, number]> = [];
      await adapters.queue.enqueue(inv);
      await adapters.source().start(async (call) => {
        runs.push([call.callId, call.attempt]);
        if (call.callId === inv.callId) {
          return { action: 'retry', invocation: { ...call, attempt: 1, lastStatus: 503, notBefore: Date.now() + 1_500 }, delayMs: 1_500 };
        }
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 200 } };
      });
      const retrying = await seen(adapters.statuses, inv.callId, inState('retrying'), 'the retry waiting');
      expect(await adapters.canceller.cancel(inv.callId)).toMatchObject({ cancelled: true, status: { state: 'cancelled', attempts: 1 } });
      // A call enqueued after the retry fell due has run: so would the retry have, had it not been cancelled.
      await waitFor(() => Date.now() > (retrying.nextAttemptAt ?? 0) + 500, { timeoutMs: 10_000, description: 'the retry due time to pass' });
      await adapters.queue.enqueue(after);
      await seen(adapters.statuses, after.callId, inState('succeeded'), 'the later call');
      expect(runs.filter(([id]) => id === inv.callId)).toEqual([[inv.callId, 0]]);
      expect((await adapters.statuses.get(inv.callId))?.state).toBe('cancelled');
    }, CASE_TIMEOUT_MS);

    it('refuses to cancel a running or finished call, naming its state, and knows no unknown call', async () => {
      const inv = anInvocation();
      const hold = gate();
      await adapters.queue.enqueue(inv);
      await adapters.source().start(async (call) => {
        await hold.promise;
        return { action: 'complete', invocation: { ...call, attempt: 1, lastStatus: 200 } };
      });
      await seen(adapters.statuses, inv.callId, inState('running'), 'the call running');
      expect(await adapters.canceller.cancel(inv.callId)).toMatchObject({ cancelled: false, status: { state: 'running' } });
      hold.open();
      await seen(adapters.statuses, inv.callId, inState('succeeded'), 'success');
      expect(await adapters.canceller.cancel(inv.callId)).toMatchObject({ cancelled: false, status: { state: 'succeeded' } });
      expect(await adapters.canceller.cancel('no-such-call')).toBeUndefined();
    }, CASE_TIMEOUT_MS);

    it('redrives dead letters by call id, by function and all: same ids, attempts reset, each once', async () => {
      const a = anInvocation({ function: 'fn-x' });
      const b = anInvocation({ function: 'fn-x' });
      const c = anInvocation({ function: 'fn-y' });
      const runs: Array<[string, number, number]> = [];
      for (const inv of [a, b, c]) await adapters.queue.enqueue(inv);
      await adapters.source().start(async (call): Promise<ProcessDecision> => {
        runs.push([call.callId, call.attempt, call.redrives ?? 0]);
        if (call.redrives) return { action: 'complete', invocation: { ...call, attempt: call.attempt + 1, lastStatus: 200 } };
        return { action: 'dead-letter', reason: 'max_attempts', invocation: { ...call, attempt: 3, lastStatus: 503 }, lastStatus: 503 };
      });
      for (const inv of [a, b, c]) await seen(adapters.statuses, inv.callId, inState('dead-lettered'), 'dead-lettered');
      // The dead letter itself may land a moment after the status says so.
      const first = await waitFor(
        async () => {
          const outcome = await adapters.redriver.redrive({ callIds: [a.callId] });
          return outcome.redriven.length > 0 ? outcome : undefined;
        },
        { timeoutMs: SEEN_MS, description: 'the dead letter of a to be redriven' },
      );
      expect(first).toEqual({ redriven: [a.callId], skipped: 0 });
      const again = await seen(adapters.statuses, a.callId, inState('succeeded'), 'a after its redrive');
      expect(again).toMatchObject({ redrives: 1, attempts: 1, lastStatus: 200 });
      expect((await adapters.statuses.get(b.callId))?.state).toBe('dead-lettered');
      expect(await adapters.redriver.redrive({ function: 'fn-x', namespace: a.namespace })).toEqual({ redriven: [b.callId], skipped: 1 });
      const all = await adapters.redriver.redrive({ all: true });
      expect(all.redriven).toEqual([c.callId]);
      for (const inv of [b, c]) await seen(adapters.statuses, inv.callId, inState('succeeded'), 'redriven calls succeeded');
      expect((await adapters.redriver.redrive({ all: true })).redriven).toEqual([]);
      for (const inv of [a, b, c]) expect(runs.filter(([id]) => id === inv.callId)).toEqual([[inv.callId, 0, 0], [inv.callId, 0, 1]]);
    }, CASE_TIMEOUT_MS);

    it('tracks a callback: retried after the call succeeded, then delivered', async () => {
      const inv = anInvocation({ callbackUrl: 'http://127.0.0.1:9/cb' });
      await adapters.queue.enqueue(inv);
      const result = { status: 200, headers: {}, body: Buffer.from('ok'), durationMs: 1, startedAt: Date.now() };
      await adapters.source().start(async (call: Invocation): Promise<ProcessDecision> => {
        if (!call.result) {
          const next = { ...call, attempt: 1, lastStatus: 200, result, callbackAttempt: 1, notBefore: Date.now() + 300 };
          return { action: 'retry', invocation: next, delayMs: 300 };
        }
        return { action: 'complete', invocation: { ...call, callbackAttempt: 2 }, result };
      });
      const delivered = await seen(adapters.statuses, inv.callId, (s) => s.callback?.state === 'delivered', 'the callback delivered');
      expect(delivered).toMatchObject({ state: 'succeeded', attempts: 1, lastStatus: 200, callback: { attempts: 2 } });
    }, CASE_TIMEOUT_MS);
  });
}
