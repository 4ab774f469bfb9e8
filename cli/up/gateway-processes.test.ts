/**
 * `kfaas up`'s gateway processes with real node:cluster children (test/fixtures/cluster/worker.mjs): workers
 * that stop on their own are reported as `lost`, so that `kfaas up` does not go on with nothing on its port.
 */
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetricsGatherer } from '../../gateway/index.js';
import { silentLogger } from '../../test/helpers/logger.js';
import { startGatewayProcesses, type GatewayProcesses } from './gateway-processes.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/cluster/worker.mjs', import.meta.url));

let dir: string;
let processes: GatewayProcesses | undefined;

beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kfaas-up-procs-'))));

afterEach(async () => {
  await processes?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reports the workers lost when a replacement exits before it listened', async () => {
  // The first worker serves; its replacement refuses, so the supervisor stops them all.
  cluster.setupPrimary({ exec: FIXTURE, args: ['once', join(dir, 'started')], silent: true });
  const p = startGatewayProcesses({
    processes: 1,
    ownerUrl: 'http://127.0.0.1:1',
    routes: async () => [],
    gatherer: createMetricsGatherer(100, () => []),
    allMetrics: async () => [],
    drainTimeoutMs: 0,
    logger: silentLogger(),
  });
  processes = p;
  await p.started;
  const worker = Object.values(cluster.workers ?? {})[0];
  worker!.process.kill('SIGKILL');
  await expect(p.lost).resolves.toBeUndefined();
  expect(Object.keys(cluster.workers ?? {})).toHaveLength(0);
});
