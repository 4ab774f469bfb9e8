import { startTracing, tracesUrl, tracingRequested } from './setup.js';
import { tracingEnabled } from './spans.js';

describe('tracingRequested', () => {
  it('needs an OTLP endpoint, and honours OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('sets nothing up without an endpoint', async () => {
    const tracing = await startTracing('test', {});
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    await tracing.shutdown();
  });
});

describe('tracesUrl', () => {
  it('appends /v1/traces to the general endpoint only', () => {
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' })).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/custom' })).toBe('http://b:2/custom');
    expect(tracesUrl({})).toBeUndefined();
  });
});
