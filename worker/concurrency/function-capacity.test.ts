import winston from 'winston';
import type { Timers } from '../../runtime/timers.js';
import { createFunctionCapacity, type CapacityFacts } from './function-capacity.js';
import { parseFacts } from './gateway-facts.js';

const logger = winston.createLogger({ silent: true });

/** Timers run by hand: tick() fires what is armed. */
function manualTimers(): Timers & { tick(): void } {
  let armed: Array<() => void> = [];
  return {
    setTimeout: (fn) => {
      armed.push(fn);
      return fn;
    },
    clearTimeout: (h) => {
      armed = armed.filter((f) => f !== h);
    },
    tick() {
      const due = armed;
      armed = [];
      for (const f of due) f();
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createFunctionCapacity', () => {
  it('answers 1 until the first facts, then ready replicas x capacity, and follows new replicas', async () => {
    const facts = new Map<string, CapacityFacts | undefined>([['fn.ns', { availableReplicas: 2, replicaCapacity: 3 }]]);
    const asked: string[] = [];
    const timers = manualTimers();
    const capacity = createFunctionCapacity({
      fetchFacts: async (name, namespace) => {
        asked.push(`${name}/${namespace}`);
        return facts.get(`${name}.${namespace}`);
      },
      refreshMs: 1000,
      logger,
      timers,
    });
    let changes = 0;
    capacity.onChange(() => (changes += 1));
    expect(capacity.total('fn.ns')).toBe(1);
    await settle();
    expect(asked).toEqual(['fn/ns']);
    expect(changes).toBe(1);
    expect(capacity.total('fn.ns')).toBe(6);
    facts.set('fn.ns', { availableReplicas: 5, replicaCapacity: 3 });
    timers.tick();
    await settle();
    expect(capacity.total('fn.ns')).toBe(15);
    facts.set('fn.ns', { availableReplicas: 0, replicaCapacity: 3 });
    await capacity.refresh();
    expect(capacity.total('fn.ns')).toBe(1);
    capacity.close();
  });

  it('is unbounded for a function without a capacity or one the gateway cannot describe', async () => {
    const capacity = createFunctionCapacity({
      fetchFacts: async (name) => (name === 'plain' ? { availableReplicas: 3, replicaCapacity: undefined } : undefined),
      refreshMs: 1000,
      logger,
      timers: manualTimers(),
    });
    capacity.total('plain.ns');
    capacity.total('gone.ns');
    await capacity.refresh();
    expect(capacity.total('plain.ns')).toBeUndefined();
    expect(capacity.total('gone.ns')).toBeUndefined();
    capacity.close();
  });

  it('keeps the last known facts when a read fails', async () => {
    let fail = false;
    const capacity = createFunctionCapacity({
      fetchFacts: async () => {
        if (fail) throw new Error('ECONNREFUSED');
        return { availableReplicas: 1, replicaCapacity: 4 };
      },
      refreshMs: 1000,
      logger,
      timers: manualTimers(),
    });
    capacity.total('fn.ns');
    await capacity.refresh();
    fail = true;
    await capacity.refresh();
    expect(capacity.total('fn.ns')).toBe(4);
    capacity.close();
  });
});

describe('parseFacts', () => {
  it('reads availableReplicas and the kfaas-only replicaCapacity of a FunctionStatus', () => {
    expect(parseFacts(Buffer.from(JSON.stringify({ name: 'fn', availableReplicas: 2, replicaCapacity: 5 })))).toEqual({ availableReplicas: 2, replicaCapacity: 5 });
    expect(parseFacts(Buffer.from(JSON.stringify({ name: 'fn', availableReplicas: 2 })))).toEqual({ availableReplicas: 2, replicaCapacity: undefined });
    expect(parseFacts(Buffer.from(JSON.stringify({ replicaCapacity: 0 })))).toEqual({ availableReplicas: 0, replicaCapacity: undefined });
  });
});
