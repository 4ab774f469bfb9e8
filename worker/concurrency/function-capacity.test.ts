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
    const facts = new Map<string, CapacityFacts>([['fn', { availableReplicas: 2, replicaCapacity: 3 }]]);
    const asked: string[] = [];
    const timers = manualTimers();
    const capacity = createFunctionCapacity({
      fetchFacts: async (namespace) => {
        asked.push(namespace);
        return facts;
      },
      refreshMs: 1000,
      logger,
      timers,
    });
    let changes = 0;
    capacity.onChange(() => (changes += 1));
    expect(capacity.total('fn.ns')).toBe(1);
    // A second function of the namespace shares the one request under way.
    capacity.total('other.ns');
    await settle();
    expect(asked).toEqual(['ns']);
    expect(changes).toBeGreaterThan(0);
    expect(capacity.total('fn.ns')).toBe(6);
    facts.set('fn', { availableReplicas: 5, replicaCapacity: 3 });
    timers.tick();
    await settle();
    expect(asked).toEqual(['ns', 'ns']);
    expect(capacity.total('fn.ns')).toBe(15);
    facts.set('fn', { availableReplicas: 0, replicaCapacity: 3 });
    await capacity.refresh();
    expect(capacity.total('fn.ns')).toBe(1);
    capacity.close();
  });

  it('is unbounded for a function without a capacity, one the gateway does not list, or a namespace it will not describe', async () => {
    const capacity = createFunctionCapacity({
      fetchFacts: async (namespace) => (namespace === 'ns' ? new Map([['plain', { availableReplicas: 3, replicaCapacity: undefined }]]) : undefined),
      refreshMs: 1000,
      logger,
      timers: manualTimers(),
    });
    capacity.total('plain.ns');
    capacity.total('gone.ns');
    capacity.total('fn.refused');
    await capacity.refresh();
    expect(capacity.total('plain.ns')).toBeUndefined();
    expect(capacity.total('gone.ns')).toBeUndefined();
    expect(capacity.total('fn.refused')).toBeUndefined();
    capacity.close();
  });

  it('keeps the last known facts when a read fails', async () => {
    let fail = false;
    const capacity = createFunctionCapacity({
      fetchFacts: async () => {
        if (fail) throw new Error('ECONNREFUSED');
        return new Map([['fn', { availableReplicas: 1, replicaCapacity: 4 }]]);
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
  it('reads availableReplicas and the kfaas-only replicaCapacity of each FunctionStatus, by name', () => {
    const list = [
      { name: 'a', availableReplicas: 2, replicaCapacity: 5 },
      { name: 'b', availableReplicas: 2 },
      { name: 'c', replicaCapacity: 0 },
      { availableReplicas: 9 },
    ];
    expect(parseFacts(Buffer.from(JSON.stringify(list)))).toEqual(
      new Map([
        ['a', { availableReplicas: 2, replicaCapacity: 5 }],
        ['b', { availableReplicas: 2, replicaCapacity: undefined }],
        ['c', { availableReplicas: 0, replicaCapacity: undefined }],
      ]),
    );
  });

  it('refuses an answer that is not a list', () => {
    expect(() => parseFacts(Buffer.from('{}'))).toThrow(/did not answer a list/);
  });
});
