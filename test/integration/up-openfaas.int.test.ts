/**
 * What an OpenFaaS user meets on `kfaas up` beyond the wire format: a shell set up for another gateway, timeouts
 * and scale labels written the OpenFaaS way in a stack file, the function environment, scale from zero, a burst
 * of calls right after a deploy, and the banner with no stack file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/index.js';
import { callbackReceiver, startUp, stopUp, type Up } from './compat-support.js';

const NS = 'openfaas-fn';

const STACK = `version: 1
functions:
  env-fn:
    handler: env
    environment:
      exec_timeout: 2m
      GREETING: hi
  pinned:
    handler: cat
    labels:
      com.openfaas.scale.min: "2"
      com.openfaas.scale.max: "2"
`;

/** Runs `calls` requests, at most `concurrency` at a time; returns each status. */
async function burst(calls: number, concurrency: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = new Array(calls);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      statuses[i] = await send(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return statuses;
}

describe('kfaas up for OpenFaaS users', () => {
  let dir: string;
  let up: Up;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

  const system = (method: string, path: string, body?: unknown) =>
    fetch(`${up.url}${path}`, {
      method,
      headers: { authorization: up.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const call = (path: string, body = '') => fetch(`${up.url}${path}`, { method: 'POST', body });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-up-openfaas-'));
    writeFileSync(join(dir, 'stack.yaml'), STACK);
    receiver = await callbackReceiver();
    up = await startUp(join(dir, 'data'), ['-f', join(dir, 'stack.yaml')], {
      // Left in the shell for another gateway; before, they emptied /system/functions.
      function_namespace: 'team-a',
      KFAAS_ALLOWED_NAMESPACES: 'team-a,team-b',
      SHELL_ONLY_VAR: 'from-the-shell',
    });
  }, 90_000);

  afterAll(async () => {
    await stopUp(up);
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves openfaas-fn whatever namespace settings the shell holds', async () => {
    expect(await (await system('GET', '/system/namespaces')).json()).toEqual([NS]);
    const list = (await (await system('GET', '/system/functions')).json()) as Array<{ name: string; namespace: string }>;
    expect(list.map((f) => [f.name, f.namespace])).toEqual([
      ['env-fn', NS],
      ['pinned', NS],
    ]);
  });

  it('gives a function its own environment plus the documented base, and keeps exec_timeout set as a variable', async () => {
    const res = await call(`/function/env-fn.${NS}`);
    expect(res.status).toBe(200);
    const env = await res.text();
    expect(env).toMatch(/^GREETING=hi$/m);
    expect(env).toMatch(/^exec_timeout=2m$/m);
    expect(env).toMatch(/^PATH=/m);
    expect(env).not.toContain('SHELL_ONLY_VAR');
    expect(env).not.toMatch(/^function_namespace=/m);
  });

  it('starts a function at com.openfaas.scale.min, and keeps it there when scale.max equals it', async () => {
    const status = await waitFor(
      async () => {
        const body = (await (await system('GET', '/system/function/pinned')).json()) as { replicas: number; availableReplicas: number };
        return body.availableReplicas === 2 ? body : undefined;
      },
      { timeoutMs: 20_000, description: 'two ready replicas of pinned' },
    );
    expect(status.replicas).toBe(2);
    expect((await system('POST', '/system/scale-function/pinned', { serviceName: 'pinned', replicas: 0, namespace: NS })).status).toBe(409);
    expect(await (await system('GET', '/system/function/pinned')).json()).toMatchObject({ replicas: 2, availableReplicas: 2 });
  });

  it('answers all of 1,000 calls made right after a deploy, then scales from zero for sync and async calls', async () => {
    const deployed = await system('POST', '/system/functions', { service: 'burst', image: 'local/burst', envProcess: 'cat' });
    expect(deployed.status).toBe(202);
    const started = performance.now();
    const statuses = await burst(1000, 50, async (i) => {
      const res = await call(`/function/burst.${NS}`, `call ${i}`);
      const text = await res.text();
      return res.status === 200 && text === `call ${i}` ? 200 : res.status;
    });
    const seconds = (performance.now() - started) / 1000;
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    process.stdout.write(`1,000 calls right after a deploy: all 200 in ${seconds.toFixed(1)} s\n`);

    expect((await system('POST', '/system/scale-function/burst', { serviceName: 'burst', replicas: 0, namespace: NS })).status).toBe(202);
    await waitFor(async () => ((await (await system('GET', '/system/function/burst')).json()) as { availableReplicas: number }).availableReplicas === 0, {
      description: 'burst at zero',
    });
    const sync = await call(`/function/burst.${NS}`, 'from zero');
    expect(sync.status).toBe(200);
    expect(await sync.text()).toBe('from zero');

    expect((await system('POST', '/system/scale-function/burst', { serviceName: 'burst', replicas: 0, namespace: NS })).status).toBe(202);
    await waitFor(async () => ((await (await system('GET', '/system/function/burst')).json()) as { availableReplicas: number }).availableReplicas === 0, {
      description: 'burst at zero again',
    });
    const queued = await fetch(`${up.url}/async-function/burst.${NS}`, { method: 'POST', headers: { 'x-callback-url': `${receiver.url}/cb` }, body: 'async from zero' });
    expect(queued.status).toBe(202);
    const callId = queued.headers.get('x-call-id');
    const cb = await waitFor(() => receiver.received.find((c) => c.headers['x-call-id'] === callId), { timeoutMs: 30_000, description: 'the callback' });
    expect(cb.headers['x-function-status']).toBe('200');
    expect(cb.body.toString()).toBe('async from zero');
  }, 120_000);
});

describe('kfaas up with no stack file', () => {
  it('suggests a deploy in its banner, and that deploy followed by the suggested call works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfaas-up-empty-'));
    const up = await startUp(join(dir, 'data'));
    try {
      const out = up.output();
      const deploy = `${up.url}/system/functions -d '{"service":"echo","image":"local/echo","envProcess":"cat"}'`;
      expect(out).toContain(deploy);
      expect(out.indexOf(deploy)).toBeLessThan(out.indexOf(`curl -s ${up.url}/function/echo -d 'hello kfaas'`));
      const res = await fetch(`${up.url}/system/functions`, {
        method: 'POST',
        headers: { authorization: up.authorization },
        body: '{"service":"echo","image":"local/echo","envProcess":"cat"}',
      });
      expect(res.status).toBe(202);
      const hello = await fetch(`${up.url}/function/echo`, { method: 'POST', body: 'hello kfaas' });
      expect(await hello.text()).toBe('hello kfaas');
    } finally {
      await stopUp(up);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
