/**
 * The gateway's part of an async call's trace: a SERVER span for the request (child of the client's
 * `traceparent`, if any) and a PRODUCER span for the durable write, whose context travels inside the stored
 * envelope's headers to the worker (the Kafka record, or the embedded queue's row). Both wrap existing pieces
 * without changing them and are only applied when tracing is on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { Headers } from '../../common/headers.js';
import type { Invocation } from '../../common/invocation.js';
import type { InvocationQueue } from '../../common/queue.js';
import { recordKey } from '../../common/topics.js';
import { Attr, contextFromHeaders, endingSpan, messagingAttributes, tracer, withTraceHeaders } from '../../runtime/tracing/spans.js';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => unknown;

const ROUTE = '/async-function/{name}';

/** Runs the async route's handler inside a SERVER span that ends with the response. */
export function traceAsyncRoute<H extends Handler>(handler: H): H {
  const wrapped = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): unknown => {
    const parent = contextFromHeaders(req.headers);
    const span = tracer().startSpan(
      `${req.method ?? 'POST'} ${ROUTE}`,
      {
        kind: SpanKind.SERVER,
        attributes: { [Attr.httpMethod]: req.method ?? 'POST', [Attr.httpRoute]: ROUTE, [Attr.urlPath]: (req.url ?? '').split('?')[0] ?? '' },
      },
      parent,
    );
    const end = (): void => {
      res.off('finish', end);
      res.off('close', end);
      const callId = res.getHeader(Headers.callId);
      if (typeof callId === 'string') span.setAttribute(Attr.callId, callId);
      span.setAttribute(Attr.httpStatus, res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) {
        span.setAttribute(Attr.errorType, res.writableFinished ? String(res.statusCode) : 'connection_closed');
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    return context.with(trace.setSpan(parent, span), () => handler(req, res, next));
  };
  return wrapped as H;
}

/** Options of traceQueue. */
export interface TracedQueueOptions {
  /** `messaging.system`: `kafka`, or `kfaas-embedded`. */
  readonly system: string;
  /** The topic (or table) a call is written to. */
  readonly destination: (inv: Invocation) => string;
}

/** Wraps a queue so each enqueue is a PRODUCER span whose context is stored with the call. */
export function traceQueue(queue: InvocationQueue, options: TracedQueueOptions): InvocationQueue {
  return {
    async enqueue(inv) {
      const destination = options.destination(inv);
      return tracer().startActiveSpan(
        `send ${destination}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            ...messagingAttributes(inv, 'send', options.system, destination),
            ...(options.system === 'kafka' ? { [Attr.messagingKey]: recordKey(inv) } : {}),
          },
        },
        (span: Span) => endingSpan(span, () => queue.enqueue({ ...inv, headers: withTraceHeaders(inv.headers, context.active()) })),
      );
    },
    close: () => queue.close(),
  };
}
