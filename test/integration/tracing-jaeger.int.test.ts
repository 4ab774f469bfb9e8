/**
 * One trace per async call, checked in a real Jaeger: `kfaas up` exports over OTLP (configured by OTEL_*
 * variables only), a call that fails once and is retried yields the gateway's request and enqueue spans, one
 * worker span per attempt with the function call inside, and the callback; the function receives the
 * traceparent of the span that called it. A dead-lettered call's trace says why. The retried call's span tree
 * is saved as trace-async-retry.png (test-results/screenshots/, or docs/ with KFAAS_UPDATE_SCREENSHOTS=1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/index.js';
import { parentOf, startJaeger, tag, type Jaeger, type JaegerSpan, type JaegerTrace } from '../helpers/jaeger.js';
import { renderSpanTree } from '../helpers/span-tree.js';
import { screenshotPath } from '../helpers/screenshots.js';
import { ROOT, callbackReceiver, startUp, stopUp, type Up } from './compat-support.js';

// Fails the first attempt of every call, then answers with the traceparent it was called with.
const STACK = `version: 1
functions:
  retry-once:
    handler: sh retry-once.sh
    mode: fork
    retry:
      maxAttempts: 3
      minBackoff: 200ms
      maxBackoff: 400ms
  doomed:
    handler: sh doomed.sh
    mode: fork
    retry:
      maxAttempts: 2
      minBackoff: 100ms
      maxBackoff: 200ms
`;

const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_SERVICE_NAME'] as const;

function traceparent(): { traceId: string; parentId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

describe('OpenTelemetry traces of async calls, in Jaeger', () => {
  let dir: string;
  let jaeger: Jaeger | undefined;
  let up: Up | undefined;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
  const saved: Partial<Record<(typeof OTEL_ENV)[number], string>> = {};

  beforeAll(async () => {
    jaeger = await startJaeger();
    dir = mkdtempSync(join(tmpdir(), 'kfaas-trace-'));
    writeFileSync(join(dir, 'stack.yaml'), STACK);
    writeFileSync(join(dir, 'retry-once.sh'), 'if [ "$Http_X_Kfaas_Attempt" = "1" ]; then echo "failing attempt 1 on purpose" >&2; exit 1; fi\nprintf "%s" "$Http_Traceparent"\n');
    writeFileSync(join(dir, 'doomed.sh'), 'echo "always failing" >&2\nexit 1\n');
    receiver = await callbackReceiver();
    // startUp passes this process's environment on: the standard variables are the only configuration.
    for (const key of OTEL_ENV) saved[key] = process.env[key];
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = jaeger.otlpEndpoint;
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '100';
    delete process.env['OTEL_SERVICE_NAME'];
    up = await startUp(join(dir, 'data'), ['-f', join(dir, 'stack.yaml')]);
  }, 1_800_000);

  afterAll(async () => {
    for (const key of OTEL_ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await stopUp(up);
    await receiver?.close();
    await jaeger?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the trace has `count` spans (they arrive in batches from two exporters' flushes). */
  const traceWith = (traceId: string, count: number): Promise<JaegerTrace> =>
    waitFor(async () => {
      const t = await jaeger!.trace(traceId);
      return t && t.spans.length >= count ? t : undefined;
    }, { timeoutMs: 30_000, description: `${count} spans of trace ${traceId} in Jaeger` });

  const childrenOf = (t: JaegerTrace, span: JaegerSpan): JaegerSpan[] =>
    t.spans.filter((s) => parentOf(s) === span.spanID).sort((a, b) => a.startTime - b.startTime);

  it('records a retried call as one trace: request, enqueue, one span per attempt, the function call and the callback', async () => {
    const tp = traceparent();
    const callId = `traced-${process.pid}-${Date.now()}`;
    const res = await fetch(`${up!.url}/async-function/retry-once`, {
      method: 'POST',
      body: 'hello',
      headers: { traceparent: tp.header, 'X-Call-Id': callId, 'X-Callback-Url': `${receiver.url}/done` },
    });
    expect(res.status).toBe(202);
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === callId), { timeoutMs: 30_000 });
    expect(cb.headers['x-function-status']).toBe('200');

    // server, producer, 2 x (consumer + function call), callback
    const trace = await traceWith(tp.traceId, 7);
    expect(trace.spans).toHaveLength(7);
    for (const s of trace.spans) expect(tag(s, 'kfaas.call_id')).toBe(callId);

    const server = trace.spans.find((s) => tag(s, 'span.kind') === 'server')!;
    expect(server.operationName).toBe('POST /async-function/{name}');
    expect(parentOf(server)).toBe(tp.parentId);
    expect(tag(server, 'http.response.status_code')).toBe(202);

    const [producer, ...others] = childrenOf(trace, server);
    expect(others).toHaveLength(0);
    expect(producer!.operationName).toBe('send kfaas.invocations');
    expect(tag(producer!, 'span.kind')).toBe('producer');
    expect(tag(producer!, 'messaging.system')).toBe('kfaas-embedded');

    const attempts = childrenOf(trace, producer!);
    expect(attempts.map((s) => [tag(s, 'span.kind'), tag(s, 'kfaas.attempt'), tag(s, 'kfaas.decision')])).toEqual([
      ['consumer', 1, 'retry'],
      ['consumer', 2, 'complete'],
    ]);
    expect(tag(attempts[0]!, 'otel.status_code')).toBeUndefined();
    expect(tag(attempts[0]!, 'kfaas.queue.row_id')).toEqual(expect.any(Number));
    expect(tag(attempts[0]!, 'messaging.destination.name')).toBe('kfaas.invocations');

    const [firstCall] = childrenOf(trace, attempts[0]!);
    expect(firstCall!.operationName).toBe('POST /function/{name}');
    expect(tag(firstCall!, 'span.kind')).toBe('client');
    expect(tag(firstCall!, 'http.response.status_code')).toBe(500);
    expect(tag(firstCall!, 'otel.status_code')).toBe('ERROR');

    const [secondCall, callback] = childrenOf(trace, attempts[1]!);
    expect(tag(secondCall!, 'http.response.status_code')).toBe(200);
    expect(callback!.operationName).toBe('POST {callback}');
    expect(tag(callback!, 'url.full')).toBe(`${receiver.url}/done`);
    expect(tag(callback!, 'http.response.status_code')).toBe(200);

    // The function was called with the context of the span that called it.
    expect(cb.body.toString()).toBe(`00-${tp.traceId}-${secondCall!.spanID}-01`);

    const browser = await launchBrowser();
    try {
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await page.setViewportSize({ width: 1100, height: 420 });
      await page.setContent(renderSpanTree(trace, 'An async call that failed once and was retried (kfaas up → Jaeger)'));
      await page.screenshot({ path: screenshotPath('trace-async-retry.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("says in a dead-lettered call's trace why it was given up", async () => {
    const tp = traceparent();
    const callId = `doomed-${process.pid}-${Date.now()}`;
    const res = await fetch(`${up!.url}/async-function/doomed`, { method: 'POST', body: 'x', headers: { traceparent: tp.header, 'X-Call-Id': callId } });
    expect(res.status).toBe(202);
    // server, producer, 2 x (consumer + function call)
    const trace = await traceWith(tp.traceId, 6);
    const consumers = trace.spans.filter((s) => tag(s, 'span.kind') === 'consumer').sort((a, b) => a.startTime - b.startTime);
    expect(consumers).toHaveLength(2);
    const last = consumers[1]!;
    expect(tag(last, 'kfaas.decision')).toBe('dead-letter');
    expect(tag(last, 'kfaas.dead_letter.reason')).toBe('max_attempts');
    expect(tag(last, 'otel.status_code')).toBe('ERROR');
    expect(tag(last, 'otel.status_description')).toBe('dead-lettered: max_attempts (last status 500)');
  });
});
