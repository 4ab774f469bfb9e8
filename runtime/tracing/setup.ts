/**
 * OpenTelemetry tracing for one process, configured only by the standard OTEL_* variables. Without an OTLP
 * endpoint nothing is set up: the SDK is not even loaded, and instrumented code checks tracingEnabled() before
 * making any span, so the hot path pays one boolean test.
 */
import { setTracingEnabled } from './spans.js';

/** A process's tracing: flush and stop on shutdown. */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered, then stops; idempotent. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = Object.freeze({ enabled: false, shutdown: async () => undefined });

/**
 * True when the environment asks for traces: an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or its traces
 * variant) is set, OTEL_SDK_DISABLED is not true and OTEL_TRACES_EXPORTER is not `none`.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!endpoint) return false;
  if ((env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  return !exporters.includes('none');
}

/**
 * The OTLP/HTTP traces URL: the traces endpoint as given, else the general endpoint plus `/v1/traces` (the
 * exporter's own rule, applied to `env` so that a caller's environment map, not only process.env, counts).
 */
export function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Starts tracing when requested: a tracer provider exporting over OTLP/HTTP in batches, W3C trace context
 * propagation, and async-context tracking. `defaultServiceName` applies when OTEL_SERVICE_NAME is unset; the
 * exporter reads the rest (headers, timeouts, compression) from process.env's OTEL_* itself.
 */
export async function startTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env)) return OFF;
  // Loaded here, not at the top: a process without an endpoint never loads the SDK.
  const [{ context, propagation, trace }, { AsyncLocalStorageContextManager }, core, { resourceFromAttributes }, sdk, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || defaultServiceName }),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: tracesUrl(env) }),
        ...(Number(env['OTEL_BSP_SCHEDULE_DELAY']) > 0 ? { scheduledDelayMillis: Number(env['OTEL_BSP_SCHEDULE_DELAY']) } : {}),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  setTracingEnabled(true);
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopping ??= provider.shutdown().finally(() => setTracingEnabled(false));
      return stopping;
    },
  };
}
