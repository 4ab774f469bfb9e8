/**
 * The worker supervisor with real node:cluster children (test/fixtures/cluster/worker.mjs): the start, the
 * restart of a worker that died, the failed start of one that never listened, and the drain's SIGKILL deadline.
 */
import { jest } from '@jest/globals';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../test/helpers/logger.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { GatewayProcessStartError, superviseWorkers, type Supervisor, type SupervisorOptions } from './supervisor.js';

jest.setTimeout(30_000);

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/cluster/worker.mjs', import.meta.url));

let supervisor: Supervisor | undefined;
const afterTestRemove: Array<() => void> = [];

afterEach(async () => {
  // Whatever a test left running is killed, so no child outlives the run.
  for (const w of supervisor?.workers() ?? []) w.process.kill('SIGKILL');
  await supervisor?.stopped.catch(() => undefined);
  supervisor = undefined;
  for (const remove of afterTestRemove.splice(0)) remove();
});

function supervise(mode: 'serve' | 'refuse' | 'stubborn' | 'once', options: Partial<SupervisorOptions> = {}, args: string[] = []): Supervisor {
  cluster.setupPrimary({ exec: FIXTURE, args: [mode, ...args], silent: true });
  supervisor = superviseWorkers({ processes: 2, logger: silentLogger(), drainMs: 0, exitMarginMs: 500, restartDelayMs: 300, ...options });
  return supervisor;
}

it('starts every worker on one port, replaces one that died after the restart delay, and drains them all with a clean exit', async () => {
  const logger = silentLogger();
  const errors = jest.spyOn(logger, 'error');
  const listening = new Set<number>();
  const onListening = (w: { id: number }): void => void listening.add(w.id);
  cluster.on('listening', onListening);
  afterTestRemove.push(() => cluster.off('listening', onListening));
  const s = supervise('serve', { logger });
  const port = await s.started;
  expect(port).toBeGreaterThan(0);
  const [first, second] = s.workers();
  expect(s.workers()).toHaveLength(2);

  const died = Date.now();
  first!.process.kill('SIGKILL');
  const replacement = await waitFor(() => s.workers().find((w) => w !== first && w !== second), { description: 'a replacement worker' });
  // Not at once: a crash loop must not spin.
  expect(Date.now() - died).toBeGreaterThanOrEqual(300 - 20);
  // Listening, so its SIGTERM handler is in place and its drain ends in a clean exit.
  await waitFor(() => listening.has(replacement.id) && s.workers().length === 2, { description: 'the replacement listening' });
  expect(errors).toHaveBeenCalledWith('a gateway process exited; starting another', expect.objectContaining({ signal: 'SIGKILL' }));

  await expect(s.close()).resolves.toEqual({ failed: false });
  expect(s.workers()).toHaveLength(0);
  expect(replacement.process.signalCode ?? replacement.process.exitCode).toBe(0);
});

it('fails the start when a worker exits before it listened, with the errno code it reported, and stops the rest', async () => {
  const logger = silentLogger();
  const errors = jest.spyOn(logger, 'error');
  const s = supervise('refuse', { logger, restartDelayMs: 50 });
  const err = await s.started.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayProcessStartError);
  expect(err).toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining('EADDRINUSE') });
  expect(errors).toHaveBeenCalledWith('a gateway process failed to start; stopping the others', expect.objectContaining({ code: 1 }));
  await expect(s.stopped).resolves.toEqual({ failed: true });
  // Never replaced: the same failure would come again.
  expect(s.workers()).toHaveLength(0);
});

it('stops every worker, failed, when a replacement exits before it listened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-supervisor-'));
  afterTestRemove.push(() => rmSync(dir, { recursive: true, force: true }));
  // One worker: the first serves, every later one refuses.
  const s = supervise('once', { processes: 1, restartDelayMs: 50 }, [join(dir, 'started')]);
  await s.started;
  const [first] = s.workers();
  first!.process.kill('SIGKILL');
  await expect(s.stopped).resolves.toEqual({ failed: true });
  expect(s.workers()).toHaveLength(0);
});

it('kills a worker that outlives its drain deadline, and reports the drain as failed', async () => {
  const s = supervise('stubborn', { processes: 1 });
  await s.started;
  const [worker] = s.workers();
  const closed = Date.now();
  await expect(s.close()).resolves.toEqual({ failed: true });
  expect(worker!.process.signalCode).toBe('SIGKILL');
  expect(Date.now() - closed).toBeGreaterThanOrEqual(500 - 20);
});
