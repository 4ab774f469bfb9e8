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
});
