import { createGatewayMetrics } from './gateway-metrics.js';

describe('createGatewayMetrics', () => {
  it('renders OpenFaaS-named counters, the in-flight gauge and a cumulative duration histogram', async () => {
    const m = createGatewayMetrics();
    m.onStart('a.ns');
    m.onComplete('a.ns', 200, 0.003);
    m.onStart('a.ns');
    m.onComplete('a.ns', 200, 0.7);
    m.onStart('a.ns');
    m.onComplete('a.ns', 502, 0.01);
    m.onStart('a.ns');
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE gateway_function_invocation_total counter');
    expect(text).toContain('gateway_function_invocation_total{function_name="a.ns",code="200"} 2');
    expect(text).toContain('gateway_function_invocation_total{function_name="a.ns",code="502"} 1');
    expect(text).toContain('gateway_function_invocation_started{function_name="a.ns"} 4');
    expect(text).toContain('gateway_function_invocation_inflight{function_name="a.ns"} 1');
    expect(text).toContain('# TYPE gateway_functions_seconds histogram');
    expect(text).toContain('gateway_functions_seconds_bucket{le="0.005",function_name="a.ns",code="200"} 1');
    expect(text).toContain('gateway_functions_seconds_bucket{le="0.5",function_name="a.ns",code="200"} 1');
    expect(text).toContain('gateway_functions_seconds_bucket{le="1",function_name="a.ns",code="200"} 2');
    expect(text).toContain('gateway_functions_seconds_bucket{le="+Inf",function_name="a.ns",code="200"} 2');
    expect(text).toContain('gateway_functions_seconds_sum{function_name="a.ns",code="200"} 0.703');
    expect(text).toContain('gateway_functions_seconds_count{function_name="a.ns",code="200"} 2');
    expect(text).toContain('gateway_functions_seconds_bucket{le="0.01",function_name="a.ns",code="502"} 1');
  });

  it('counts invocations per function over all codes', async () => {
    const m = createGatewayMetrics();
    for (const code of [200, 200, 500]) {
      m.onStart('a.ns');
      m.onComplete('a.ns', code, 0.001);
    }
    m.onStart('b.ns');
    m.onComplete('b.ns', 404, 0.001);
    expect(await m.invocationCounts()).toEqual(new Map([['a.ns', 3], ['b.ns', 1]]));
  });

  it('keeps each instance on its own registry, and reports the same values on every scrape', async () => {
    const a = createGatewayMetrics();
    const b = createGatewayMetrics();
    a.onStart('x.ns');
    a.onComplete('x.ns', 200, 0.001);
    expect(await b.registry.metrics()).not.toContain('x.ns');
    const first = await a.registry.metrics();
    expect(await a.registry.metrics()).toBe(first);
  });

  it('adds process metrics on request', async () => {
    expect(await createGatewayMetrics({ defaultMetrics: true }).registry.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await createGatewayMetrics().registry.metrics()).not.toContain('process_cpu_user_seconds_total');
  });
});

describe('async accepted counters', () => {
  it('counts accepted calls and bytes per function', async () => {
    const metrics = createGatewayMetrics();
    metrics.onAccepted('echo.openfaas-fn', 10);
    metrics.onAccepted('echo.openfaas-fn', 5);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gateway_async_accepted_total{function_name="echo.openfaas-fn"} 2');
    expect(text).toContain('gateway_async_accepted_bytes_total{function_name="echo.openfaas-fn"} 15');
  });
});
