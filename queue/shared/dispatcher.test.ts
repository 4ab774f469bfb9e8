import winston from 'winston';
import { DEFAULT_POLICY } from '../../common/delivery-policy.js';
import { ENVELOPE_VERSION, type Invocation } from '../../common/invocation.js';
import type { ProcessDecision } from '../../common/queue.js';
import { createDispatcher } from './dispatcher.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const logger = winston.createLogger({ silent: true });
const backoff = { minMs: 1, maxMs: 5 };
const complete: ProcessDecision = { action: 'complete' };
const until = (check: () => boolean) => waitFor(check, { timeoutMs: 1000, intervalMs: 2 });

let n = 0;
const inv = (over: Partial<Invocation> = {}): Invocation => ({
  version: ENVELOPE_VERSION,
  callId: `c${++n}`,
  function: 'f',
  namespace: 'ns',
  method: 'POST',
  path: '/',
  rawQuery: '',
  headers: {},
  body: Buffer.alloc(0),
  enqueuedAt: 0,
  attempt: 0,
  policy: DEFAULT_POLICY,
  ...over,
});

describe('createDispatcher', () => {
  it('runs the handler, persists its decision, reports it, and resolves true', async () => {
    const decisions: string[] = [];
    const persisted: ProcessDecision[] = [];
    const d = createDispatcher({
      handler: async () => complete,
      maxInflight: 2,
      logger,
      observer: { onDecision: (i, dec) => decisions.push(`${i.callId}:${dec.action}`) },
    });
    const call = inv();
    await expect(d.dispatch(call, async (dec) => void persisted.push(dec))).resolves.toBe(true);
    expect(persisted).toEqual([complete]);
    expect(decisions).toEqual([`${call.callId}:complete`]);
    expect(d.pending).toBe(0);
  });

  it('retries a throwing handler in-process, and a failing persist without re-running the handler', async () => {
    let runs = 0;
    let writes = 0;
    const d = createDispatcher({
      handler: async () => {
        runs += 1;
        if (runs < 3) throw new Error('infra down');
        return complete;
      },
      maxInflight: 1,
      logger,
      backoff,
    });
    const ok = await d.dispatch(inv(), async () => {
      writes += 1;
      if (writes < 2) throw new Error('store down');
    });
    expect(ok).toBe(true);
    expect(runs).toBe(3);
    expect(writes).toBe(2);
  });

  it('holds calls of one ordering key back until the previous one is persisted', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = new Promise<void>((resolve) => (releaseFirst = resolve));
    const d = createDispatcher({ handler: async (i) => (events.push(`run ${i.callId}`), complete), maxInflight: 5, logger });
    const a = inv({ orderingKey: 'k' });
    const b = inv({ orderingKey: 'k' });
    const c = inv();
    const pa = d.dispatch(a, async () => {
      await first;
      events.push(`persisted ${a.callId}`);
    });
    const pb = d.dispatch(b, async () => undefined);
    const pc = d.dispatch(c, async () => undefined);
    await pc;
    expect(events).toEqual([`run ${a.callId}`, `run ${c.callId}`]);
    releaseFirst();
    await Promise.all([pa, pb]);
    expect(events.slice(2)).toEqual([`persisted ${a.callId}`, `run ${b.callId}`]);
  });

  it('waits for notBefore before running a call', async () => {
    let ranAt = 0;
    const d = createDispatcher({ handler: async () => ((ranAt = Date.now()), complete), maxInflight: 1, logger });
    const notBefore = Date.now() + 50;
    await d.dispatch(inv({ notBefore }), async () => undefined);
    expect(ranAt).toBeGreaterThanOrEqual(notBefore);
  });

  it('stopStarting() resolves waiting calls false and lets running ones finish; abort() signals them', async () => {
    const signals: AbortSignal[] = [];
    let started = 0;
    const d = createDispatcher({
      handler: (_i, signal) => {
        started += 1;
        signals.push(signal);
        return new Promise<ProcessDecision>((resolve) => signal.addEventListener('abort', () => resolve(complete)));
      },
      maxInflight: 1,
      logger,
    });
    const running = d.dispatch(inv(), async () => undefined);
    const waiting = d.dispatch(inv(), async () => undefined);
    await until(() => started === 1);
    d.stopStarting();
    await expect(waiting).resolves.toBe(false);
    expect(d.pending).toBe(1);
    let idle = false;
    const idling = d.idle().then(() => (idle = true));
    d.abort('closing');
    await expect(running).resolves.toBe(true);
    await idling;
    expect(idle).toBe(true);
    expect(started).toBe(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('gives up a persist that keeps failing once aborted, resolving false', async () => {
    const d = createDispatcher({ handler: async () => complete, maxInflight: 1, logger, backoff: { minMs: 20, maxMs: 20 } });
    let writes = 0;
    const result = d.dispatch(inv(), async () => {
      writes += 1;
      throw new Error('never stored');
    });
    await until(() => writes >= 2);
    d.abort('closing');
    await expect(result).resolves.toBe(false);
  });

  it('store() retries a write like a decision and counts as pending', async () => {
    const d = createDispatcher({ handler: async () => complete, maxInflight: 1, logger, backoff });
    let writes = 0;
    const stored = d.store('a dead letter', async () => {
      writes += 1;
      if (writes === 1) throw new Error('once');
    });
    expect(d.pending).toBe(1);
    await expect(stored).resolves.toBe(true);
    expect(writes).toBe(2);
  });

  it('runs at most a function\'s limit of its calls at once, other functions alongside, and more once the limit grows', async () => {
    const limits: Record<string, number> = { 'a.ns': 2, 'b.ns': 1 };
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const gates: Array<() => void> = [];
    const d = createDispatcher({
      handler: async (i) => {
        const fn = i.function;
        running.set(fn, (running.get(fn) ?? 0) + 1);
        peak.set(fn, Math.max(peak.get(fn) ?? 0, running.get(fn) ?? 0));
        await new Promise<void>((resolve) => gates.push(resolve));
        running.set(fn, (running.get(fn) ?? 1) - 1);
        return complete;
      },
      maxInflight: 10,
      functionLimit: (fn) => limits[fn],
      logger,
    });
    const calls = [
      ...Array.from({ length: 4 }, () => d.dispatch(inv({ function: 'a', orderingKey: undefined }), async () => undefined)),
      d.dispatch(inv({ function: 'b' }), async () => undefined),
    ];
    await until(() => d.running === 3);
    expect(running.get('a')).toBe(2);
    expect(running.get('b')).toBe(1);
    limits['a.ns'] = 4;
    d.limitsChanged();
    await until(() => running.get('a') === 4);
    for (;;) {
      const release = gates.shift();
      if (!release) break;
      release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    expect(peak.get('a')).toBe(4);
    expect(peak.get('b')).toBe(1);
  });

  it('defers a call whose function already has a full round waiting: stored back unrun, no attempt, not reported', async () => {
    const persisted: Array<{ decision: ProcessDecision; deferred: boolean }> = [];
    const decisions: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const d = createDispatcher({
      handler: async () => {
        await gate;
        return complete;
      },
      maxInflight: 10,
      functionLimit: () => 1,
      deferBackoff: { minMs: 100, maxMs: 400 },
      random: () => 1,
      logger,
      observer: { onDecision: (i, dec) => decisions.push(`${i.callId}:${dec.action}`), onDeferred: (i) => decisions.push(`${i.callId}:deferred`) },
    });
    const persist = async (decision: ProcessDecision, how?: { deferred?: boolean }) => void persisted.push({ decision, deferred: how?.deferred ?? false });
    const running = d.dispatch(inv(), persist);
    const waiting = d.dispatch(inv(), persist);
    await until(() => d.running === 1);
    const third = inv({ attempt: 1, deferrals: 2 });
    await expect(d.dispatch(third, persist)).resolves.toBe(true);
    expect(persisted).toEqual([
      { decision: { action: 'retry', invocation: { ...third, deferrals: 3 }, delayMs: 400 }, deferred: true },
    ]);
    expect(decisions).toEqual([`${third.callId}:deferred`]);
    // An ordered call is never deferred: it keeps its place behind its key.
    const ordered = d.dispatch(inv({ orderingKey: 'k' }), persist);
    release();
    await Promise.all([running, waiting, ordered]);
    expect(persisted.filter((p) => p.deferred)).toHaveLength(1);
    expect(persisted.filter((p) => !p.deferred)).toHaveLength(3);
  });
});
