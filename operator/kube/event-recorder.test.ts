import winston from 'winston';
import { aFunction } from '../testing/fixtures.js';
import { createEventRecorder, eventBody } from './event-recorder.js';

const logger = winston.createLogger({ silent: true });

function fakeClient() {
  const posted: Array<{ path: string; body: any }> = [];
  const pending: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  return {
    posted,
    get maxRunning() {
      return maxRunning;
    },
    releaseAll: () => pending.splice(0).forEach((r) => r()),
    client: {
      request: async <T>(_method: string, path: string, opts: { body?: unknown } = {}): Promise<T> => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((resolve) => pending.push(resolve));
        running -= 1;
        posted.push({ path, body: opts.body });
        return undefined as T;
      },
    },
  };
}

describe('createEventRecorder', () => {
  it('writes a core/v1 Event about the Function', () => {
    const at = new Date('2030-01-02T03:04:05.678Z');
    const body = eventBody(aFunction(), 'Warning', 'SecretNotFound', 'x'.repeat(2000), at, 'op-1');
    expect(body).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'fns' },
      involvedObject: { apiVersion: 'kfaas.dev/v1alpha1', kind: 'Function', name: 'echo', namespace: 'fns', uid: 'uid-1', resourceVersion: '10' },
      type: 'Warning',
      reason: 'SecretNotFound',
      source: { component: 'kfaas-operator' },
      reportingInstance: 'op-1',
      firstTimestamp: '2030-01-02T03:04:05Z',
      lastTimestamp: '2030-01-02T03:04:05Z',
      count: 1,
    });
    expect(body.metadata.name).toMatch(/^echo\.[0-9a-f]+$/);
    expect(body.message).toHaveLength(1024);
  });

  it('drops an identical event within the dedupe window, and records it again after', async () => {
    const fake = fakeClient();
    let now = 0;
    const recorder = createEventRecorder({ client: fake.client, logger, instance: 'i', dedupeWindowMs: 1000, now: () => now });
    const fn = aFunction();
    recorder.record(fn, 'Warning', 'R', 'm');
    recorder.record(fn, 'Warning', 'R', 'm');
    recorder.record(fn, 'Warning', 'R', 'other message');
    now = 1000;
    recorder.record(fn, 'Warning', 'R', 'm');
    const flushed = recorder.flush();
    fake.releaseAll();
    await new Promise((r) => setImmediate(r));
    fake.releaseAll();
    await flushed;
    expect(fake.posted.map((p) => p.body.message)).toEqual(['m', 'other message', 'm']);
    expect(fake.posted[0]!.path).toBe('/api/v1/namespaces/fns/events');
  });

  it('limits concurrent writes and drops events beyond the backlog', async () => {
    const fake = fakeClient();
    const recorder = createEventRecorder({ client: fake.client, logger, instance: 'i', maxInFlight: 2, maxBacklog: 3 });
    const fn = aFunction();
    for (let i = 0; i < 10; i++) recorder.record(fn, 'Normal', 'R', `m${i}`);
    const flushed = recorder.flush();
    for (let i = 0; i < 5; i++) {
      fake.releaseAll();
      await new Promise((r) => setImmediate(r));
    }
    await flushed;
    expect(fake.maxRunning).toBe(2);
    expect(fake.posted.map((p) => p.body.message)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});
