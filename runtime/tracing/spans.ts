/**
 * What instrumented code uses: the enabled switch, the tracer, W3C context in and out of header maps, and the
 * attribute names (OpenTelemetry semantic conventions for HTTP and messaging, plus kfaas's own call id).
 * Only @opentelemetry/api is imported here; it is a no-op until setup.ts registers a provider.
 */
import { ROOT_CONTEXT, SpanStatusCode, propagation, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Invocation } from '../../common/invocation.js';

let enabled = false;

/** True once startTracing() set up an exporter; instrumented code makes no span otherwise. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** For setup.ts (and tests): turns span making on or off. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** The tracer every kfaas span comes from. */
export function tracer(): Tracer {
  return trace.getTracer('kfaas');
}

/** The trace context carried by `traceparent`/`tracestate` in a header map (any letter case of the keys). */
export function contextFromHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>>): Context {
  const lower: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) lower[key.toLowerCase()] = value as string | string[];
  return propagation.extract(ROOT_CONTEXT, lower);
}

/** The `traceparent` (and `tracestate`, `baggage`) headers that carry `ctx`. */
export function headersFor(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return out;
}

/** Header names the propagator writes; a stale copy must be replaced, never sent beside the new one. */
export const TRACE_HEADERS: ReadonlySet<string> = new Set(['traceparent', 'tracestate', 'baggage']);

/** A header map with its trace headers replaced by those of `ctx`. */
export function withTraceHeaders<T extends string | readonly string[]>(headers: Readonly<Record<string, T>>, ctx: Context): Record<string, T | string> {
  const out: Record<string, T | string> = {};
  for (const [key, value] of Object.entries(headers)) if (!TRACE_HEADERS.has(key.toLowerCase())) out[key] = value;
  return { ...out, ...headersFor(ctx) };
}

/** Attribute names (semantic conventions), in one place. */
export const Attr = Object.freeze({
  callId: 'kfaas.call_id',
  attempt: 'kfaas.attempt',
  callbackAttempt: 'kfaas.callback.attempt',
  decision: 'kfaas.decision',
  deadLetterReason: 'kfaas.dead_letter.reason',
  retryDelayMs: 'kfaas.retry.delay_ms',
  faasInvokedName: 'faas.invoked_name',
  faasInvokedNamespace: 'kfaas.function.namespace',
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  urlFull: 'url.full',
  errorType: 'error.type',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingMessageId: 'messaging.message.id',
  messagingPartition: 'messaging.destination.partition.id',
  messagingOffset: 'messaging.kafka.offset',
  messagingKey: 'messaging.kafka.message.key',
  queueRowId: 'kfaas.queue.row_id',
});

/** The attributes of a messaging span about one call: `send` at the gateway, `process` at the worker. */
export function messagingAttributes(inv: Invocation, operation: 'send' | 'process', system: string | undefined, destination: string): Attributes {
  return {
    [Attr.callId]: inv.callId,
    [Attr.faasInvokedName]: inv.function,
    [Attr.faasInvokedNamespace]: inv.namespace,
    [Attr.messagingOperationType]: operation,
    [Attr.messagingOperationName]: operation,
    [Attr.messagingMessageId]: inv.callId,
    [Attr.messagingDestination]: destination,
    ...(system !== undefined ? { [Attr.messagingSystem]: system } : {}),
  };
}

/** Runs `work`, marks `span` as failed with the error when it throws (rethrown), and ends the span either way. */
export async function endingSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
