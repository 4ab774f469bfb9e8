/**
 * The worker's part of an async call's trace. Each delivery of a call is one CONSUMER span, a child of the
 * gateway's enqueue span (its context is stored in the envelope's headers, so every retry of the call joins the
 * same trace); inside it, the function call and the callback are CLIENT spans. The function call's own context
 * replaces the stored `traceparent`, so the function sees the span that called it. A dead letter marks the
 * span as an error naming the reason. All three wrap the existing pieces and apply only when tracing is on.
 */
import { SpanKind, SpanStatusCode, context, type Span } from '@opentelemetry/api';
import type { Delivery, InvocationHandler } from '../../common/queue.js';
import { Attr, contextFromHeaders, endingSpan, messagingAttributes, tracer, withTraceHeaders } from '../../runtime/tracing/spans.js';
import type { CallbackPoster } from '../callback/post-callback.js';
import type { FunctionInvoker } from '../invoke/invoke-function.js';

/** Runs each delivery inside a CONSUMER span and records the decision on it. */
export function traceHandler(handler: InvocationHandler): InvocationHandler {
  return (inv, signal, delivery) => {
    const destination = delivery?.destination ?? 'invocations';
    const phase = inv.result ? 'callback' : 'attempt';
    return tracer().startActiveSpan(
      `process ${destination}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messagingAttributes(inv, 'process', delivery?.system, destination),
          ...(delivery?.partition !== undefined ? { [Attr.messagingPartition]: String(delivery.partition) } : {}),
          ...offsetAttribute(delivery),
          ...(phase === 'attempt' ? { [Attr.attempt]: inv.attempt + 1 } : { [Attr.callbackAttempt]: (inv.callbackAttempt ?? 0) + 1 }),
        },
      },
      contextFromHeaders(inv.headers),
      (span: Span) =>
        endingSpan(span, async () => {
          const decision = await handler(inv, signal, delivery);
          span.setAttribute(Attr.decision, decision.action);
          if (decision.action === 'retry') span.setAttribute(Attr.retryDelayMs, decision.delayMs);
          if (decision.action === 'dead-letter') {
            span.setAttribute(Attr.deadLetterReason, decision.reason);
            const detail = [decision.lastStatus !== undefined ? `last status ${decision.lastStatus}` : '', decision.error ?? ''].filter(Boolean).join('; ');
            span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${decision.reason}${detail ? ` (${detail})` : ''}` });
          }
          return decision;
        }),
    );
  };
}

/** A Kafka record's offset, or the embedded queue's row id (which is no Kafka offset). */
function offsetAttribute(delivery: Delivery | undefined): Record<string, number> {
  if (delivery?.offset === undefined) return {};
  return { [delivery.system === 'kafka' ? Attr.messagingOffset : Attr.queueRowId]: Number(delivery.offset) };
}

/** Makes each function call a CLIENT span and sends its context to the function as `traceparent`. */
export function traceInvoker(invoker: FunctionInvoker): FunctionInvoker {
  return {
    invoke(inv, attempt, signal) {
      // `{method} {target}`: the worker calls the function through the gateway's sync route.
      return tracer().startActiveSpan(
        `${inv.method} /function/{name}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [Attr.callId]: inv.callId,
            [Attr.attempt]: attempt,
            [Attr.httpMethod]: inv.method,
            [Attr.faasInvokedName]: inv.function,
            [Attr.faasInvokedNamespace]: inv.namespace,
            [Attr.urlPath]: inv.path,
          },
        },
        async (span: Span) => {
          try {
            const res = await invoker.invoke({ ...inv, headers: withTraceHeaders(inv.headers, context.active()) }, attempt, signal);
            if (res.kind === 'response') {
              span.setAttribute(Attr.httpStatus, res.status);
              if (res.status >= 400) {
                span.setAttribute(Attr.errorType, String(res.status));
                span.setStatus({ code: SpanStatusCode.ERROR });
              }
            } else {
              span.setAttribute(Attr.errorType, res.timedOut ? 'timeout' : 'network_error');
              span.setStatus({ code: SpanStatusCode.ERROR, message: res.error });
            }
            return res;
          } finally {
            span.end();
          }
        },
      );
    },
  };
}

/** Makes each callback POST a CLIENT span. */
export function traceCallbacks(poster: CallbackPoster): CallbackPoster {
  return {
    post(inv, result, meta, signal) {
      return tracer().startActiveSpan(
        'POST {callback}',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [Attr.callId]: inv.callId,
            [Attr.httpMethod]: 'POST',
            [Attr.callbackAttempt]: (inv.callbackAttempt ?? 0) + 1,
            // The callback URL without its query, which may carry a token.
            ...(inv.callbackUrl ? { [Attr.urlFull]: inv.callbackUrl.split('?')[0]! } : {}),
          },
        },
        async (span: Span) => {
          try {
            const outcome = await poster.post(inv, result, meta, signal);
            if (outcome.status !== undefined) span.setAttribute(Attr.httpStatus, outcome.status);
            if (!outcome.ok) {
              span.setAttribute(Attr.errorType, outcome.status !== undefined ? String(outcome.status) : 'network_error');
              span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome.error ? { message: outcome.error } : {}) });
            }
            return outcome;
          } finally {
            span.end();
          }
        },
      );
    },
  };
}
