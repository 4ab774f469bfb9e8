import { EventEmitter } from 'node:events';
import { createGatewayMetrics, type GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { MetricsJson } from './messages.js';
import { clusterWorkerMetrics, type ParentChannel } from './worker-metrics.js';

/** Plays the primary for one worker: answers its requests with the metrics of `all` (itself included). */
function fakePrimary(all: () => GatewayMetrics[]): ParentChannel & EventEmitter {
  const channel = new EventEmitter() as ParentChannel & EventEmitter;
  channel.send = (m: unknown) => {
    const msg = m as { type: string; id: number };
    if (msg.type === 'kfaas:cluster-metrics') {
      void Promise.all(all().map((g) => g.registry.getMetricsAsJSON())).then((perWorker) =>
        channel.emit('message', { type: 'kfaas:cluster-metrics-result', id: msg.id, perWorker: perWorker as MetricsJson[] }),
      );
    }
    return true;
  };
  return channel;
}

describe('clusterWorkerMetrics', () => {
  it('counts locally and reads the sum over every worker: scrape text, dashboard samples, invocation counts', async () => {
    const localA = createGatewayMetrics();
    const localB = createGatewayMetrics();
    const a = clusterWorkerMetrics(localA, 5_000, fakePrimary(() => [localA, localB]));
    for (const [m, n] of [[a, 3], [localB, 2]] as const) {
      for (let i = 0; i < n; i++) {
        m.onStart('echo.fn');
        m.onComplete('echo.fn', 200, 0.002);
      }
    }
    localB.onStart('echo.fn');
    localB.onComplete('echo.fn', 502, 0.2);
    a.onStart('echo.fn');

    const text = await a.registry.metrics();
    expect(text).toContain('gateway_function_invocation_total{function_name="echo.fn",code="200"} 5');
    expect(text).toContain('gateway_function_invocation_inflight{function_name="echo.fn"} 1');
    expect(text).toContain('gateway_functions_seconds_bucket{le="0.005",function_name="echo.fn",code="200"} 5');
    expect(text).toContain('gateway_functions_seconds_count{function_name="echo.fn",code="502"} 1');
    const started = await a.registry.getSingleMetric('gateway_function_invocation_started')?.get();
    expect(started?.values).toEqual([expect.objectContaining({ labels: { function_name: 'echo.fn' }, value: 7 })]);
    expect(await a.invocationCounts()).toEqual(new Map([['echo.fn', 6]]));
    // The autoscaler's sync signals are the whole gateway's too.
    expect(await a.syncCalls()).toEqual(new Map([['echo.fn', { started: 7, inflight: 1 }]]));
    // The worker's own registry still holds only its own calls.
    expect(await localA.invocationCounts()).toEqual(new Map([['echo.fn', 3]]));
  });

  it('fails a read with the wait in its message when the primary does not answer', async () => {
    const channel = new EventEmitter() as ParentChannel & EventEmitter;
    channel.send = () => true;
    const metrics = clusterWorkerMetrics(createGatewayMetrics(), 20, channel);
    await expect(metrics.invocationCounts()).rejects.toThrow(/did not send the workers' metrics within 40 ms/);
  });

  it("answers the primary's request for this worker's own metrics", async () => {
    const local = createGatewayMetrics();
    local.onStart('x.fn');
    const channel = new EventEmitter() as ParentChannel & EventEmitter;
    const sent: unknown[] = [];
    channel.send = (m: unknown) => sent.push(m);
    clusterWorkerMetrics(local, 5_000, channel);
    channel.emit('message', { type: 'kfaas:local-metrics', id: 7 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([{ type: 'kfaas:local-metrics-result', id: 7, metrics: await local.registry.getMetricsAsJSON() }]);
  });
});
