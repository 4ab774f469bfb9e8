import type { Worker } from 'node:cluster';
import { createMetricsGatherer, type MetricsGatherer } from './metrics-gatherer.js';
import type { MetricsJson } from './messages.js';

/** A worker that answers a metrics request with `metrics` (or never, when undefined) through the gatherer. */
function fakeWorker(gatherer: () => MetricsGatherer, metrics: MetricsJson | undefined, connected = true): Worker {
  return {
    isConnected: () => connected,
    send: (m: { id: number }) => {
      if (metrics) setImmediate(() => gatherer().onMessage({ type: 'kfaas:local-metrics-result', id: m.id, metrics }));
      return true;
    },
  } as unknown as Worker;
}

const metricsOf = (name: string): MetricsJson => [{ name, help: name, type: 'counter', values: [], aggregator: 'sum' }] as unknown as MetricsJson;

describe('createMetricsGatherer', () => {
  it('resolves as soon as every asked worker has answered, skipping disconnected ones', async () => {
    const workers: Worker[] = [];
    const gatherer: MetricsGatherer = createMetricsGatherer(60_000, () => workers);
    workers.push(fakeWorker(() => gatherer, metricsOf('a')), fakeWorker(() => gatherer, metricsOf('b')), fakeWorker(() => gatherer, undefined, false));
    const all = await gatherer.gather();
    expect(all.map((m) => m[0]!.name).sort()).toEqual(['a', 'b']);
  });

  it('leaves out a worker that does not answer within the timeout', async () => {
    const workers: Worker[] = [];
    const gatherer: MetricsGatherer = createMetricsGatherer(50, () => workers);
    workers.push(fakeWorker(() => gatherer, metricsOf('a')), fakeWorker(() => gatherer, undefined));
    const started = Date.now();
    expect((await gatherer.gather()).map((m) => m[0]!.name)).toEqual(['a']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('answers at once with no workers, and tells its own messages from others', async () => {
    const gatherer = createMetricsGatherer(60_000, () => []);
    expect(await gatherer.gather()).toEqual([]);
    expect(gatherer.onMessage({ type: 'kfaas:routes-request' })).toBe(false);
    expect(gatherer.onMessage({ type: 'kfaas:local-metrics-result', id: 99 })).toBe(true);
  });
});
