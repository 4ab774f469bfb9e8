import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DEFAULT_POLICY } from '../../common/delivery-policy.js';
import { ENVELOPE_VERSION, type Invocation } from '../../common/invocation.js';
import type { InvocationHandler } from '../../common/queue.js';
import type { FunctionInvoker } from '../invoke/invoke-function.js';
import { traceHandler, traceInvoker } from './attempt-spans.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const ENQUEUE_SPAN = 'b7ad6b7169203331';

function call(attempt: number): Invocation {
  return {
    version: ENVELOPE_VERSION,
    callId: 'call-1',
    function: 'f',
    namespace: 'ns',
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: { traceparent: `00-${TRACE_ID}-${ENQUEUE_SPAN}-01`, 'content-type': 'text/plain' },
    body: Buffer.from('x'),
    enqueuedAt: 0,
    attempt,
    policy: DEFAULT_POLICY,
  };
}

describe('worker spans', () => {
  it('makes each delivery a consumer span of the stored trace, with the function call as its child', async () => {
    let seenTraceparent: unknown;
    const invoker: FunctionInvoker = {
      async invoke(inv) {
        seenTraceparent = inv.headers['traceparent'];
        return { kind: 'response', status: 500, headers: {}, body: Buffer.alloc(0), startedAt: 0, durationMs: 1 };
      },
    };
    const traced = traceInvoker(invoker);
    const handler: InvocationHandler = async (inv, signal) => {
      await traced.invoke(inv, inv.attempt + 1, signal);
      return { action: 'retry', invocation: { ...inv, attempt: inv.attempt + 1 }, delayMs: 200 };
    };
    await traceHandler(handler)(call(1), new AbortController().signal, { system: 'kafka', destination: 'fn-invocations', partition: 3, offset: '42' });

    const [client, consumer] = exporter.getFinishedSpans();
    expect(consumer!.spanContext().traceId).toBe(TRACE_ID);
    expect(consumer!.parentSpanContext?.spanId).toBe(ENQUEUE_SPAN);
    expect(consumer!.name).toBe('process fn-invocations');
    expect(consumer!.attributes).toMatchObject({
      'kfaas.call_id': 'call-1',
      'kfaas.attempt': 2,
      'kfaas.decision': 'retry',
      'kfaas.retry.delay_ms': 200,
      'messaging.system': 'kafka',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 42,
    });
    expect(client!.parentSpanContext?.spanId).toBe(consumer!.spanContext().spanId);
    expect(client!.attributes).toMatchObject({ 'kfaas.call_id': 'call-1', 'http.response.status_code': 500 });
    expect(client!.status.code).toBe(2);
    // The function sees the span that called it, not the stored enqueue context.
    expect(seenTraceparent).toBe(`00-${TRACE_ID}-${client!.spanContext().spanId}-01`);
  });

  it('marks a dead-lettered delivery as an error that names the reason', async () => {
    const handler: InvocationHandler = async (inv) => ({ action: 'dead-letter', reason: 'max_attempts', invocation: inv, lastStatus: 500 });
    await traceHandler(handler)(call(2), new AbortController().signal);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: 2, message: 'dead-lettered: max_attempts (last status 500)' });
    expect(span!.attributes).toMatchObject({ 'kfaas.dead_letter.reason': 'max_attempts', 'kfaas.decision': 'dead-letter' });
  });
});
