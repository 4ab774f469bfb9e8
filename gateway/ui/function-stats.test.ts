import { createGatewayMetrics } from '../metrics/gateway-metrics.js';
import { quantile, readFunctionStats } from './function-stats.js';

describe('quantile', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    // 10 calls: 4 at most 0.1 s, 10 at most 0.5 s; the median (rank 5) is 1/6 into (0.1, 0.5].
    expect(quantile(0.5, [{ le: 0.1, count: 4 }, { le: 0.5, count: 10 }, { le: Infinity, count: 10 }])).toBeCloseTo(0.1 + 0.4 / 6);
  });

  it('answers the highest finite bound when the rank is in +Inf, and undefined when empty', () => {
    expect(quantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 100 }])).toBe(1);
    expect(quantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe('readFunctionStats', () => {
  it('sums every status code of a function and counts 4xx and 5xx as errors', async () => {
    const metrics = createGatewayMetrics();
    for (let i = 0; i < 8; i++) metrics.onComplete('echo.fn', 200, 0.02);
    metrics.onComplete('echo.fn', 500, 3);
    metrics.onComplete('echo.fn', 404, 0.001);
    metrics.onStart('echo.fn');
    metrics.onAccepted('echo.fn', 5);
    metrics.onAccepted('other.fn', 5);
    const [echo, other] = await readFunctionStats(metrics.registry);
    expect(echo).toMatchObject({ fn: 'echo.fn', invocations: 10, errors: 2, errorRate: 0.2, inflight: 1, asyncAccepted: 1 });
    expect(echo!.p50Seconds).toBeGreaterThan(0.01);
    expect(echo!.p50Seconds).toBeLessThanOrEqual(0.025);
    expect(echo!.p99Seconds).toBeGreaterThan(2.5);
    expect(echo!.p99Seconds).toBeLessThanOrEqual(5);
    expect(other).toEqual({ fn: 'other.fn', invocations: 0, errors: 0, errorRate: 0, inflight: 0, asyncAccepted: 1 });
  });
});
