/**
 * Sync gateway benchmark: one function server, called directly, through nginx (the reverse proxy users compare
 * against), through a minimal bare node:http proxy, and through the real kfaas gateway (createGateway from the
 * build, its sync route, metrics and all), with the same load generator (wrk) in alternating rounds. Each server runs in its own child process, so the CPU each proxy spends
 * per request is read from that process alone (process.cpuUsage), and the gateway's RSS is its own. The last row runs
 * the same gateway as one process per core (at least 2) behind node:cluster, against the single process.
 * Targets: gateway CPU per request <= 1.25x the bare proxy's, req/s >= 0.8x the bare proxy's, p99 <= 4x p50.
 * Needs the build (`dist/gateway/index.js`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { interleaved, runLoad, type LoadResult } from './load.js';
import { startNginx } from './nginx.js';
import { procStatusKb, repoRoot, round, row, treeCpuUs, treeRssBytes } from './support.js';
import type { BenchResult } from './types.js';

/** Options of the gateway benchmark. */
export interface GatewayBenchOptions {
  /** Measured time per target (split over the rounds). */
  readonly durationMs: number;
  /** Closed-loop connections (64 in the setup). */
  readonly connections: number;
  /** Request body size in bytes (default 1 KiB). */
  readonly bodyBytes?: number;
}

// Every child answers `cpu` with its CPU time and RSS, so the parent can attribute work to one process.
const CPU_PROBE = `
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
});
process.on('SIGTERM', () => process.exit(0));
`;

const FUNCTION_SERVER = `
import { createServer } from 'node:http';
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.concat(chunks));
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
${CPU_PROBE}`;

const BARE_PROXY = `
import { Agent, createServer, request } from 'node:http';
const target = Number(process.env.TARGET_PORT);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const server = createServer((req, res) => {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.connection;
  const up = request({ hostname: '127.0.0.1', port: target, method: req.method, path: req.url, headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
${CPU_PROBE}`;

/** The chart's default `gateway.nodeOptions`: every bench runs the gateway as the chart does. */
export const GATEWAY_NODE_OPTIONS = '--max-semi-space-size=4';

/** A child script running the real gateway (MemoryProvider) with one function, `echo`, at $TARGET_PORT. */
export function gatewayScript(dist: string): string {
  const url = (p: string) => pathToFileURL(join(dist, p)).href;
  return `
import { createRootLogger } from '${url('common/logger.js')}';
import { loadConfig } from '${url('gateway/config.js')}';
import { createGateway } from '${url('gateway/index.js')}';
import { MemoryProvider } from '${url('gateway/testing/memory-provider.js')}';
import { tuneGatewayHeap } from '${url('gateway/heap-tuning.js')}';
// As gateway/main.ts does first thing.
tuneGatewayHeap();
const config = loadConfig({ basic_auth: 'false', KFAAS_GATEWAY_PORT: '0', KFAAS_DRAIN_DELAY: '0s', KFAAS_LOG_LEVEL: 'warn' });
const provider = new MemoryProvider({ namespaces: config.allowedNamespaces });
provider.put({ name: 'echo' }, config.functionNamespace, ['http://127.0.0.1:' + process.env.TARGET_PORT]);
const gateway = createGateway(config, { provider, logger: createRootLogger({ level: 'warn' }) });
const { port } = await gateway.start();
process.send({ port });
${CPU_PROBE}`;
}

/**
 * The same gateway as `processes` workers behind node:cluster (KFAAS_GATEWAY_PROCESSES): the primary supervises
 * and reports the shared port once a worker listens. Run from a file, since the workers re-run it.
 */
function clusterGatewayScript(dist: string, processes: number): string {
  const url = (p: string) => pathToFileURL(join(dist, p)).href;
  return `
import cluster from 'node:cluster';
import { createRootLogger } from '${url('common/logger.js')}';
import { loadConfig } from '${url('gateway/config.js')}';
import { createGateway, createGatewayMetrics } from '${url('gateway/index.js')}';
import { tuneGatewayHeap } from '${url('gateway/heap-tuning.js')}';
import { MemoryProvider } from '${url('gateway/testing/memory-provider.js')}';
import { runPrimary } from '${url('gateway/cluster/primary.js')}';
import { clusterWorkerMetrics } from '${url('gateway/cluster/worker-metrics.js')}';
const logger = createRootLogger({ level: 'warn' });
if (cluster.isPrimary) {
  cluster.once('listening', (_worker, address) => process.send({ port: address.port }));
  runPrimary({ processes: ${processes}, logger, gatherTimeoutMs: 5_000 });
} else {
  tuneGatewayHeap();
  const config = loadConfig({ basic_auth: 'false', KFAAS_GATEWAY_PORT: '0', KFAAS_DRAIN_DELAY: '0s', KFAAS_LOG_LEVEL: 'warn' });
  const provider = new MemoryProvider({ namespaces: config.allowedNamespaces });
  provider.put({ name: 'echo' }, config.functionNamespace, ['http://127.0.0.1:' + process.env.TARGET_PORT]);
  const metrics = clusterWorkerMetrics(createGatewayMetrics({ defaultMetrics: true }), config.metricsGatherTimeoutMs);
  await createGateway(config, { provider, logger, metrics }).start();
}`;
}

/** A bench child process started by startChild. */
export interface Child {
  readonly port: number;
  /** The process whose CPU and RSS are read. */
  readonly pid: number;
  /** CPU microseconds (user + system) and current RSS bytes. */
  sample(): Promise<{ cpuUs: number; rss: number }>;
  stop(): Promise<void>;
}

/** Runs the three targets and returns direct, bare-proxy and gateway rows. */
export async function runGatewayBench(opts: GatewayBenchOptions): Promise<BenchResult[]> {
  const dist = join(repoRoot(), 'dist');
  if (!existsSync(join(dist, 'gateway', 'index.js'))) throw new Error(`${dist}/gateway/index.js is missing: run \`npm run build\` first`);
  const body = Buffer.alloc(opts.bodyBytes ?? 1024, 'g');
  const children: Child[] = [];
  try {
    const fn = await startChild(FUNCTION_SERVER, {});
    children.push(fn);
    const bare = await startChild(BARE_PROXY, { TARGET_PORT: String(fn.port) });
    children.push(bare);
    // The gateway's NODE_OPTIONS as the chart sets them (gateway.nodeOptions; see gateway/heap-tuning.ts).
    const gatewayEnv = { TARGET_PORT: String(fn.port), NODE_OPTIONS: GATEWAY_NODE_OPTIONS };
    const gw = await startChild(gatewayScript(dist), gatewayEnv);
    children.push(gw);
    const nginx = await startNginx(fn.port);
    children.push(nginx);
    const processes = Math.max(2, availableParallelism());
    const gwN = await startChild(clusterGatewayScript(dist, processes), gatewayEnv, { file: true });
    children.push(gwN);

    const cpu = new Map<Child, { us: number; requests: number }>();
    let gatewayPeakRss = 0;
    // The gateway's RSS at each of its rounds' ends, to show whether it grows with the calls served.
    const gatewayRssByRound: number[] = [];
    // Every round opens 64 new client connections, and after the other targets' rounds the gateway has closed its
    // idle upstream ones (KFAAS_UPSTREAM_IDLE_TIMEOUT): a short unmeasured burst first, for every target alike, so
    // that p99 is the steady state's and not the connection set-up's.
    const roundWarmUpMs = Math.min(250, opts.durationMs / 20);
    const measured = (url: string, child: Child | undefined) => async (durationMs: number): Promise<LoadResult> => {
      await runLoad({ url, body, headers: { 'content-type': 'application/octet-stream' }, durationMs: roundWarmUpMs, connections: opts.connections });
      const before = await child?.sample();
      // Sample the gateway's RSS while it is under load, not after.
      const rssTimer = child === gw ? setInterval(() => (gatewayPeakRss = Math.max(gatewayPeakRss, procStatusKb(gw.pid, 'VmRSS') * 1024)), 200) : undefined;
      const result = await runLoad({ url, body, headers: { 'content-type': 'application/octet-stream' }, durationMs, connections: opts.connections });
      clearInterval(rssTimer);
      if (child === gw) gatewayRssByRound.push(procStatusKb(gw.pid, 'VmRSS') / 1024);
      if (child && before) {
        const after = await child.sample();
        const acc = cpu.get(child) ?? { us: 0, requests: 0 };
        cpu.set(child, { us: acc.us + after.cpuUs - before.cpuUs, requests: acc.requests + result.requests + result.errors });
      }
      return result;
    };
    const direct = `http://127.0.0.1:${fn.port}/`;
    const viaBare = `http://127.0.0.1:${bare.port}/`;
    const viaGateway = `http://127.0.0.1:${gw.port}/function/echo`;
    const viaNginx = `http://127.0.0.1:${nginx.port}/`;
    const viaGatewayN = `http://127.0.0.1:${gwN.port}/function/echo`;
    const warmUpMs = Math.min(1_000, opts.durationMs / 4);
    for (const url of [direct, viaNginx, viaBare, viaGateway, viaGatewayN]) await runLoad({ url, body, durationMs: warmUpMs, connections: opts.connections });

    const results = await interleaved(
      {
        direct: measured(direct, undefined),
        nginx: measured(viaNginx, nginx),
        bare: measured(viaBare, bare),
        gateway: measured(viaGateway, gw),
        gatewayN: measured(viaGatewayN, gwN),
      },
      opts.durationMs,
    );
    const perRequest = (c: Child): number => {
      const acc = cpu.get(c);
      return acc && acc.requests > 0 ? acc.us / acc.requests : NaN;
    };
    const nginxCpu = perRequest(nginx);
    const bareCpu = perRequest(bare);
    const gwCpu = perRequest(gw);
    const gwNCpu = perRequest(gwN);
    const rssTrend = gatewayRssByRound.map((mb) => mb.toFixed(0)).join(' -> ');
    const rpsRatio = results.gateway.reqPerSec / results.direct.reqPerSec;
    const cpuRatio = gwCpu / bareCpu;
    const bareRatio = results.gateway.reqPerSec / results.bare.reqPerSec;
    const tail = results.gateway.p99Ms / results.gateway.p50Ms;
    const size = `${body.length} B POST, ${opts.connections} connections`;
    return [
      row(`function server called directly (${size})`, 'itself', results.direct, results.direct.reqPerSec),
      {
        ...row(`nginx ${nginx.version} reverse proxy, 1 worker, keep-alive (${size})`, 'function server called directly', results.nginx, results.direct.reqPerSec),
        notes: `proxy CPU ${nginxCpu.toFixed(0)} us/req; errors ${results.nginx.errors}`,
      },
      {
        ...row(`bare node:http proxy (${size})`, 'function server called directly', results.bare, results.direct.reqPerSec),
        notes: `proxy CPU ${bareCpu.toFixed(0)} us/req; errors ${results.bare.errors}`,
      },
      {
        ...row(`kfaas gateway /function (${size})`, 'function server called directly', results.gateway, results.direct.reqPerSec),
        rssMb: round(gatewayPeakRss / 1024 / 1024),
        notes:
          `gateway CPU ${gwCpu.toFixed(0)} us/req = ${cpuRatio.toFixed(2)}x the bare proxy's (target <= 1.25: ${cpuRatio <= 1.25 ? 'met' : 'MISSED'}); ` +
          `req/s ${bareRatio.toFixed(2)}x the bare proxy's (target >= 0.8: ${bareRatio >= 0.8 ? 'met' : 'MISSED'}); ` +
          `p99 ${tail.toFixed(1)}x p50 (target <= 4: ${tail <= 4 ? 'met' : 'MISSED'}); ` +
          `vs nginx ${(gwCpu / nginxCpu).toFixed(1)}x CPU and ${(results.gateway.reqPerSec / results.nginx.reqPerSec).toFixed(2)}x req/s; ` +
          `${rpsRatio.toFixed(2)}x direct; errors ${results.gateway.errors}; RSS MiB after each round ${rssTrend}`,
      },
      {
        ...row(`kfaas gateway /function, ${processes} processes (KFAAS_GATEWAY_PROCESSES) (${size})`, 'kfaas gateway, 1 process', results.gatewayN, results.gateway.reqPerSec),
        rssMb: round(treeRssBytes(gwN.pid) / 1024 / 1024),
        notes: `CPU ${gwNCpu.toFixed(0)} us/req over the primary and workers; RSS is theirs summed; errors ${results.gatewayN.errors}`,
      },
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}


/**
 * Starts an inline ESM script as a child with an IPC channel; resolves once it reports its port. With
 * `file`, the script runs from a temporary file (cluster workers re-run their entry file), and its CPU and RSS
 * are read from /proc for the child and its own children together.
 */
export function startChild(script: string, env: Record<string, string>, opts: { file?: boolean } = {}): Promise<Child> {
  let args = ['--input-type=module', '-e', script];
  let dir: string | undefined;
  if (opts.file) {
    dir = mkdtempSync(join(tmpdir(), 'kfaas-bench-'));
    writeFileSync(join(dir, 'child.mjs'), script);
    args = [join(dir, 'child.mjs')];
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench child did not start within 15 s: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`bench child exited with ${code}: ${stderr}`)));
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      const pid = child.pid!;
      resolve({
        port: m.port,
        pid,
        sample: () =>
          opts.file
            ? Promise.resolve({ cpuUs: treeCpuUs(pid), rss: treeRssBytes(pid) })
            : new Promise((res) => {
                child.once('message', (s: { cpu: { user: number; system: number }; rss: number }) => res({ cpuUs: s.cpu.user + s.cpu.system, rss: s.rss }));
                child.send('cpu');
              }),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          if (dir) rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}



