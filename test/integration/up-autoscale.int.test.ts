/**
 * `kfaas up` autoscales its watchdog processes by the operator's rules: a backlog of async calls raises a
 * function with OpenFaaS scale labels to its max at once, the backlog drains, the function returns to min after
 * the stabilisation window and to zero after its zero-duration, and the next calls (async and sync) wake it.
 * Each replica takes 5 calls (the watchdog's max_inflight); the worker runs at most ready replicas x 5 of the
 * function's calls at once, so no call may meet a watchdog's 429.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/index.js';
import { callbackReceiver, startUp, stopUp, type Up } from './compat-support.js';

const CALLS = 100;
const SLEEP = join(process.cwd(), 'examples/functions/sleep.sh');

const STACK = `version: 1
functions:
  sleeper:
    handler: sh ${SLEEP}
    environment:
      max_inflight: "5"
    labels:
      com.openfaas.scale.type: capacity
      com.openfaas.scale.target: "5"
      com.openfaas.scale.max: "4"
      com.openfaas.scale.zero: "true"
      com.openfaas.scale.zero-duration: 3s
`;

describe('kfaas up autoscaling', () => {
  let dir: string;
  let up: Up;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

  const replicas = async (): Promise<{ replicas: number; availableReplicas: number }> =>
    (await fetch(`${up.url}/system/function/sleeper`, { headers: { authorization: up.authorization } })).json() as never;
  const enqueue = async (body: string): Promise<string> => {
    const res = await fetch(`${up.url}/async-function/sleeper`, { method: 'POST', body, headers: { 'x-callback-url': receiver.url } });
    expect(res.status).toBe(202);
    return res.headers.get('x-call-id')!;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-up-autoscale-'));
    writeFileSync(join(dir, 'stack.yaml'), STACK);
    receiver = await callbackReceiver();
    up = await startUp(join(dir, 'data'), ['-f', join(dir, 'stack.yaml')], {
      KFAAS_AUTOSCALE_STABILISATION: '2s',
      KFAAS_AUTOSCALE_INTERVAL: '250ms',
      KFAAS_LOG_LEVEL: 'info',
    });
  }, 90_000);

  afterAll(async () => {
    await stopUp(up);
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales to max on a backlog, drains it without a 429, returns to min, then to zero, and wakes on the next call', async () => {
    const t0 = Date.now();
    const ids = await Promise.all(Array.from({ length: CALLS }, () => enqueue('0.5')));
    const atMax = await waitFor(async () => ((await replicas()).availableReplicas === 4 ? Date.now() - t0 : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
      description: '4 ready replicas',
    });
    await waitFor(() => ids.every((id) => receiver.received.some((cb) => cb.headers['x-call-id'] === id)), {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `callbacks for all ${CALLS} calls`,
    });
    const drained = Date.now() - t0;
    const callbacks = receiver.received.filter((cb) => ids.includes(String(cb.headers['x-call-id'])));
    // One attempt each, all 200: no call was retried, so none met a watchdog's 429.
    expect(callbacks.map((cb) => `${cb.headers['x-function-status']}/${cb.headers['x-attempts']}`)).toEqual(ids.map(() => '200/1'));

    const toMin = await waitFor(async () => ((await replicas()).replicas === 1 ? Date.now() - t0 : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: 'back to 1 replica',
    });
    const toZero = await waitFor(async () => ((await replicas()).replicas === 0 ? Date.now() - t0 : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: 'scaled to zero',
    });
    // The zero-duration holds: not at zero until about 3 s after the drain (the last callback lands a little
    // after the backlog empties, hence the margin). The scale-down to min may start while the backlog shrinks;
    // its window is the unit tests' (common/scale-decision.test.ts).
    expect(toZero - drained).toBeGreaterThanOrEqual(2_000);
    // eslint-disable-next-line no-console
    console.log(`kfaas up autoscaling: 4 ready replicas after ${atMax} ms; ${CALLS} calls drained in ${drained} ms; min at ${toMin} ms; zero at ${toZero} ms`);

    // An async call wakes it, through the autoscaler; a sync call through the gateway's scale from zero.
    const woken = await enqueue('0');
    await waitFor(() => receiver.received.some((cb) => cb.headers['x-call-id'] === woken), { timeoutMs: 30_000, description: 'the waking async call' });
    const sync = await fetch(`${up.url}/function/sleeper`, { method: 'POST', body: '0' });
    expect([sync.status, (await sync.text()).trim()]).toEqual([200, 'slept 0s']);
  }, 180_000);
});
