import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { DEFAULT_POLICY } from '../common/delivery-policy.js';
import type { Invocation } from '../common/invocation.js';
import type { ProcessDecision } from '../common/queue.js';
import { compileCallbackPolicy } from '../common/callback-policy.js';
import { createCallbackPoster } from './callback/post-callback.js';
import { HandlerAbortedError, createInvocationHandler, type InvocationHandlerDeps } from './handle-invocation.js';
import { createGatewayInvoker } from './invoke/invoke-function.js';
import type { WorkerObserver } from './observer.js';
import { waitFor } from '../test/helpers/wait-for.js';

const logger = winston.createLogger({ silent: true });
const NOW = 1_700_000_000_000;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
}

/** A real HTTP server on 127.0.0.1:0 that answers the n-th request (1-based) with script(n). */
async function scripted(script: (n: number, seen: Seen) => Reply) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      const reply = script(seen.length, s);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) timers.push(setTimeout(send, reply.delayMs));
      else send();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const servers: http.Server[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearTimeout(t);
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

function anInvocation(overrides: Partial<Invocation> = {}): Invocation {
  return {
    version: 1,
    callId: 'call-1',
    function: 'echo',
    namespace: 'openfaas-fn',
    method: 'POST',
    path: '/sub/path',
    rawQuery: 'x=1&y=%20',
    headers: { 'content-type': 'text/plain', 'x-custom': 'c', host: 'gateway.example', 'content-length': '5', 'x-multi': ['a', 'b'] },
    body: Buffer.from('hello'),
    enqueuedAt: NOW - 1000,
    attempt: 0,
    policy: { ...DEFAULT_POLICY, maxAttempts: 3, minBackoffMs: 1000, maxBackoffMs: 8000, execTimeoutMs: 2000 },
    ...overrides,
  };
}

function makeHandler(gatewayUrl: string, overrides: Partial<InvocationHandlerDeps> = {}) {
  const events: string[] = [];
  const observer: WorkerObserver = {
    onAttemptStart: (_inv, n) => events.push(`start ${n}`),
    onFinal: (_inv, ok) => events.push(ok ? 'final ok' : 'final failed'),
    onCallback: (_inv, cb) => events.push(`callback ${cb.ok ? 'ok' : 'failed'}`),
    onDecision: (_inv, d) => events.push(`decision ${d.action}`),
  };
  const handler = createInvocationHandler({
    invoker: createGatewayInvoker({ gatewayUrl, timeoutMarginMs: 100, now: () => NOW }),
    callbacks: createCallbackPoster({ timeoutMs: 2000, policy: compileCallbackPolicy({ allowlist: [], kubernetesApiAddresses: [] }) }),
    logger,
    retryOn: [408, 429, 500, 502, 503, 504],
    jitter: 'equal',
    callbackRetry: { maxAttempts: 3, minBackoffMs: 100, maxBackoffMs: 1000 },
    observers: [observer],
    now: () => NOW,
    random: () => 0.5,
    ...overrides,
  });
  return { handler, events };
}

const live = () => new AbortController().signal;

const waitUntil = (cond: () => boolean) => waitFor(cond, { timeoutMs: 5000, intervalMs: 10 });

function retried(d: ProcessDecision): Invocation {
  if (d.action !== 'retry') throw new Error(`expected a retry, got ${JSON.stringify(d)}`);
  return d.invocation;
}

describe('createInvocationHandler', () => {
  it('invokes through the sync route, then posts the callback with every header, then completes', async () => {
    const fn = await scripted(() => ({ status: 201, headers: { 'content-type': 'application/json', 'x-fn': 'made-by-fn' }, body: '{"ok":true}' }));
    const cb = await scripted(() => ({ status: 200 }));
    const { handler, events } = makeHandler(fn.url);
    const decision = await handler(anInvocation({ callbackUrl: `${cb.url}/hook?k=v` }), live());

    // The final envelope and result travel with the decision: the call's status is built from them.
    expect(decision).toMatchObject({ action: 'complete', invocation: { attempt: 1, callbackAttempt: 1, lastStatus: 201 }, result: { status: 201 } });
    expect(fn.seen).toHaveLength(1);
    const call = fn.seen[0]!;
    expect(call.method).toBe('POST');
    expect(call.url).toBe('/function/echo.openfaas-fn/sub/path?x=1&y=%20');
    expect(call.body.toString()).toBe('hello');
    expect(call.headers).toMatchObject({
      'x-call-id': 'call-1',
      'x-kfaas-attempt': '1',
      'x-custom': 'c',
      'x-multi': 'a, b',
      'content-type': 'text/plain',
      'content-length': '5',
    });
    expect(call.headers.host).toBe(new URL(fn.url).host);

    expect(cb.seen).toHaveLength(1);
    const hook = cb.seen[0]!;
    expect(hook.method).toBe('POST');
    expect(hook.url).toBe('/hook?k=v');
    expect(hook.body.toString()).toBe('{"ok":true}');
    expect(hook.headers).toMatchObject({
      'content-type': 'application/json',
      'x-fn': 'made-by-fn',
      'x-call-id': 'call-1',
      'x-function-name': 'echo',
      'x-function-namespace': 'openfaas-fn',
      'x-function-status': '201',
      'x-start-time': '1699999999000000000',
      'x-attempts': '1',
      'x-retry': '0',
      'x-retry-max': '2',
      'user-agent': 'kfaas-worker/0.1.0',
    });
    expect(Number(hook.headers['x-duration-seconds'])).toBeGreaterThan(0);
    expect(hook.headers['x-kfaas-dead-letter']).toBeUndefined();
    expect(events).toEqual(['start 1', 'final ok', 'callback ok', 'decision complete']);
  });

  it('retries a 503 with backoff and no callback, then succeeds on the stored retry', async () => {
    const fn = await scripted((n) => (n === 1 ? { status: 503, body: 'busy' } : { status: 200, body: 'done' }));
    const cb = await scripted(() => ({ status: 204 }));
    const { handler } = makeHandler(fn.url);
    const first = await handler(anInvocation({ callbackUrl: cb.url }), live());
    // Equal jitter with random 0.5 on a 1 s base: 750 ms.
    expect(first).toMatchObject({ action: 'retry', delayMs: 750 });
    const again = retried(first);
    expect(again).toMatchObject({ attempt: 1, lastStatus: 503, notBefore: NOW + 750 });
    expect(again.result).toBeUndefined();
    expect(cb.seen).toHaveLength(0);

    expect(await handler(again, live())).toMatchObject({ action: 'complete' });
    expect(fn.seen.map((s) => s.headers['x-kfaas-attempt'])).toEqual(['1', '2']);
    expect(cb.seen).toHaveLength(1);
    expect(cb.seen[0]!.body.toString()).toBe('done');
    expect(cb.seen[0]!.headers).toMatchObject({ 'x-function-status': '200', 'x-attempts': '2', 'x-retry': '1', 'x-retry-max': '2' });
  });

  it('never retries a 400: dead-letters it, and the callback still reports 400', async () => {
    const fn = await scripted(() => ({ status: 400, body: 'bad input' }));
    const cb = await scripted(() => ({ status: 200 }));
    const { handler, events } = makeHandler(fn.url);
    const decision = await handler(anInvocation({ callbackUrl: cb.url }), live());
    expect(decision).toMatchObject({ action: 'dead-letter', reason: 'not_retriable', lastStatus: 400, invocation: { attempt: 1 } });
    expect(fn.seen).toHaveLength(1);
    expect(cb.seen[0]!.headers).toMatchObject({ 'x-function-status': '400', 'x-kfaas-dead-letter': 'not_retriable' });
    expect(cb.seen[0]!.body.toString()).toBe('bad input');
    expect(events).toEqual(['start 1', 'final failed', 'callback ok', 'decision dead-letter']);
  });

  it('dead-letters after the last attempt, reporting the last status', async () => {
    const fn = await scripted(() => ({ status: 500, body: 'boom' }));
    const cb = await scripted(() => ({ status: 200 }));
    const { handler } = makeHandler(fn.url);
    let inv = anInvocation({ callbackUrl: cb.url });
    const delays: number[] = [];
    let decision = await handler(inv, live());
    while (decision.action === 'retry') {
      delays.push(decision.delayMs);
      inv = decision.invocation;
      decision = await handler(inv, live());
    }
    expect(delays).toEqual([750, 1500]);
    expect(decision).toMatchObject({ action: 'dead-letter', reason: 'max_attempts', lastStatus: 500, invocation: { attempt: 3 } });
    expect(fn.seen).toHaveLength(3);
    expect(cb.seen).toHaveLength(1);
    expect(cb.seen[0]!.headers).toMatchObject({ 'x-function-status': '500', 'x-retry': '2', 'x-retry-max': '2', 'x-kfaas-dead-letter': 'max_attempts' });
  });

  it('treats a refused connection as retryable, and reports 503 with an empty body when it is final', async () => {
    const dead = await scripted(() => ({ status: 200 }));
    const deadUrl = dead.url;
    await new Promise((r) => dead.server.close(r));
    const cb = await scripted(() => ({ status: 200 }));
    const { handler } = makeHandler(deadUrl);
    const first = await handler(anInvocation({ callbackUrl: cb.url, policy: { ...anInvocation().policy, maxAttempts: 2 } }), live());
    const again = retried(first);
    expect(again.lastError).toContain('ECONNREFUSED');
    expect(again.lastStatus).toBeUndefined();
    const last = await handler(again, live());
    expect(last).toMatchObject({ action: 'dead-letter', reason: 'max_attempts' });
    expect(cb.seen[0]!.headers['x-function-status']).toBe('503');
    expect(cb.seen[0]!.body.length).toBe(0);
  });

  it('gives up on an attempt at exec timeout plus margin and retries it', async () => {
    const fn = await scripted((n) => (n === 1 ? { status: 200, delayMs: 3000 } : { status: 200, body: 'fast' }));
    const { handler } = makeHandler(fn.url);
    const policy = { ...anInvocation().policy, execTimeoutMs: 150 };
    const t0 = Date.now();
    const first = await handler(anInvocation({ policy }), live());
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(retried(first).lastError).toContain('within 250 ms');
    expect(await handler(retried(first), live())).toMatchObject({ action: 'complete' });
  });

  it('always retries platform errors, even when the function did not list the status', async () => {
    const fn = await scripted((n) => (n === 1 ? { status: 502, headers: { 'x-kfaas-error': 'true' } } : { status: 200 }));
    const { handler } = makeHandler(fn.url);
    const inv = anInvocation({ policy: { ...anInvocation().policy, retryOn: [500] } });
    const first = await handler(inv, live());
    expect(retried(first).lastStatus).toBe(502);
  });

  it('dead-letters a call whose function was deleted after it was accepted', async () => {
    const fn = await scripted(() => ({ status: 404, headers: { 'x-kfaas-error': 'true', 'x-openfaas-internal': 'gateway' } }));
    const { handler } = makeHandler(fn.url);
    expect(await handler(anInvocation(), live())).toMatchObject({ action: 'dead-letter', reason: 'function_not_found', lastStatus: 404 });
  });

  it('honours Retry-After on 429', async () => {
    const fn = await scripted(() => ({ status: 429, headers: { 'retry-after': '3' } }));
    const { handler } = makeHandler(fn.url);
    expect(await handler(anInvocation(), live())).toMatchObject({ action: 'retry', delayMs: 3000 });
  });

  it('retries a call a watchdog turned away at its max_inflight without using up an attempt', async () => {
    const fn = await scripted(() => ({ status: 429, headers: { 'x-openfaas-internal': 'watchdog', 'x-kfaas-error': 'TOO_MANY_REQUESTS' } }));
    const { handler } = makeHandler(fn.url);
    const decision = await handler(anInvocation({ attempt: 2 }), live());
    expect(decision).toMatchObject({ action: 'retry', invocation: { attempt: 2, lastStatus: 429 } });
  });

  it('retries only the callback when it fails: the function is not run again', async () => {
    const fn = await scripted(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'result' }));
    const cb = await scripted((n) => (n === 1 ? { status: 503 } : { status: 200 }));
    const { handler, events } = makeHandler(fn.url);
    const first = await handler(anInvocation({ callbackUrl: cb.url }), live());
    expect(first).toMatchObject({ action: 'retry', delayMs: 75 });
    const again = retried(first);
    expect(again).toMatchObject({ attempt: 1, callbackAttempt: 1, result: { status: 200 } });
    expect(again.result!.body.toString()).toBe('result');

    expect(await handler(again, live())).toMatchObject({ action: 'complete' });
    expect(fn.seen).toHaveLength(1);
    expect(cb.seen).toHaveLength(2);
    expect(cb.seen[1]!.body.toString()).toBe('result');
    expect(cb.seen[1]!.headers['x-function-status']).toBe('200');
    expect(events).toEqual(['start 1', 'final ok', 'callback failed', 'decision retry', 'callback ok', 'decision complete']);
  });

  it('dead-letters as callback_failed once callback retries are exhausted', async () => {
    const fn = await scripted(() => ({ status: 200, body: 'result' }));
    const cb = await scripted(() => ({ status: 500 }));
    const { handler } = makeHandler(fn.url);
    let decision = await handler(anInvocation({ callbackUrl: cb.url }), live());
    const delays: number[] = [];
    while (decision.action === 'retry') {
      delays.push(decision.delayMs);
      decision = await handler(decision.invocation, live());
    }
    expect(delays).toEqual([75, 150]);
    expect(decision).toMatchObject({ action: 'dead-letter', reason: 'callback_failed', lastStatus: 200 });
    if (decision.action === 'dead-letter') expect(decision.error).toContain('callback failed after 3 attempt(s): callback receiver answered 500');
    expect(fn.seen).toHaveLength(1);
    expect(cb.seen).toHaveLength(3);
  });

  it('dead-letters at once when the callback receiver refuses with a 4xx', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const cb = await scripted(() => ({ status: 404 }));
    const { handler } = makeHandler(fn.url);
    expect(await handler(anInvocation({ callbackUrl: cb.url }), live())).toMatchObject({ action: 'dead-letter', reason: 'callback_failed' });
    expect(cb.seen).toHaveLength(1);
  });

  it('dead-letters as callback_refused at once when the callback URL is link-local, sending nothing', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const { handler, events } = makeHandler(fn.url);
    const decision = await handler(anInvocation({ callbackUrl: 'http://169.254.169.254/latest/meta-data/' }), live());
    expect(decision).toMatchObject({ action: 'dead-letter', reason: 'callback_refused', lastStatus: 200 });
    if (decision.action === 'dead-letter') expect(decision.error).toContain('169.254.169.254 is link-local');
    expect(events).toEqual(['start 1', 'final ok', 'callback failed', 'decision dead-letter']);
  });

  it('dead-letters as callback_refused when the callback host name resolves into a refused range', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const cb = await scripted(() => ({ status: 200 }));
    // localhost resolves to the loopback addresses; declaring them the Kubernetes API makes the name refused.
    const policy = compileCallbackPolicy({ allowlist: [], kubernetesApiAddresses: ['127.0.0.1', '::1'] });
    const { handler } = makeHandler(fn.url, { callbacks: createCallbackPoster({ timeoutMs: 2000, policy }) });
    const decision = await handler(anInvocation({ callbackUrl: cb.url.replace('127.0.0.1', 'localhost') }), live());
    expect(decision).toMatchObject({ action: 'dead-letter', reason: 'callback_refused' });
    if (decision.action === 'dead-letter') expect(decision.error).toMatch(/localhost resolves to .* is the Kubernetes API/);
    expect(cb.seen).toHaveLength(0);
  });

  it('keeps the failure reason across callback retries of a failed call', async () => {
    const fn = await scripted(() => ({ status: 422, body: 'nope' }));
    const cb = await scripted((n) => (n === 1 ? { status: 502 } : { status: 200 }));
    const { handler } = makeHandler(fn.url);
    const first = await handler(anInvocation({ callbackUrl: cb.url }), live());
    const last = await handler(retried(first), live());
    expect(last).toMatchObject({ action: 'dead-letter', reason: 'not_retriable', lastStatus: 422 });
    expect(cb.seen.map((s) => s.headers['x-kfaas-dead-letter'])).toEqual(['not_retriable', 'not_retriable']);
  });

  it('dead-letters a call past its maximum event age without running it, and says so in the callback', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const cb = await scripted(() => ({ status: 200 }));
    const { handler } = makeHandler(fn.url);
    const old = anInvocation({ callbackUrl: cb.url, enqueuedAt: NOW - 61_000, attempt: 1, lastStatus: 503, policy: { ...anInvocation().policy, maxEventAgeMs: 60_000 } });
    expect(await handler(old, live())).toMatchObject({ action: 'dead-letter', reason: 'max_event_age', lastStatus: 503 });
    expect(fn.seen).toHaveLength(0);
    expect(cb.seen[0]!.headers).toMatchObject({ 'x-function-status': '503', 'x-kfaas-dead-letter': 'max_event_age', 'x-attempts': '1' });
  });

  it('ages a delayed call from the time it asked to run, not from when it was accepted', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const { handler } = makeHandler(fn.url);
    const policy = { ...anInvocation().policy, maxEventAgeMs: 60_000 };
    const delayed = anInvocation({ enqueuedAt: NOW - 3_600_000, delayedUntil: NOW - 1_000, notBefore: NOW - 1_000, policy });
    expect(await handler(delayed, live())).toMatchObject({ action: 'complete' });
    expect(fn.seen).toHaveLength(1);
  });

  it('completes without a callback when none was asked for', async () => {
    const fn = await scripted(() => ({ status: 200 }));
    const { handler, events } = makeHandler(fn.url);
    expect(await handler(anInvocation(), live())).toMatchObject({ action: 'complete' });
    expect(events).toEqual(['start 1', 'final ok', 'decision complete']);
  });

  it('throws when shutdown aborts a call mid-flight, so the record is delivered again', async () => {
    const fn = await scripted(() => ({ status: 200, delayMs: 5000 }));
    const { handler } = makeHandler(fn.url);
    const controller = new AbortController();
    const pending = handler(anInvocation(), controller.signal);
    await waitUntil(() => fn.seen.length === 1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(HandlerAbortedError);
  });

  it('keeps the result when shutdown cuts a callback short, so only the callback runs again', async () => {
    const fn = await scripted(() => ({ status: 200, body: 'done' }));
    const cb = await scripted(() => ({ status: 200, delayMs: 5000 }));
    const { handler } = makeHandler(fn.url);
    const controller = new AbortController();
    const pending = handler(anInvocation({ callbackUrl: cb.url }), controller.signal);
    await waitUntil(() => cb.seen.length === 1);
    controller.abort();
    const decision = await pending;
    expect(decision).toMatchObject({ action: 'retry', delayMs: 0, invocation: { attempt: 1, result: { status: 200 } } });
    expect(retried(decision).callbackAttempt).toBeUndefined();
    expect(fn.seen).toHaveLength(1);
  });

  it('uses the worker-wide retry statuses when the envelope lists none', async () => {
    const fn = await scripted(() => ({ status: 418 }));
    const { handler } = makeHandler(fn.url, { retryOn: [418] });
    const inv = anInvocation({ policy: { ...anInvocation().policy, retryOn: [] } });
    expect((await handler(inv, live())).action).toBe('retry');
  });
});
