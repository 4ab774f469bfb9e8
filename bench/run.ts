/**
 * `make bench`: runs every scenario against a baseline measured in the same run, then prints one markdown
 * table (the README's performance section) and writes it with the raw results to bench/results/.
 * Usage: node dist/bench/run.js [--only watchdog,footprint,gateway,up,queue,async,scaleout,status,tracing,operator,autoscale]
 *   [--duration-ms 5000]. `--only soak [--soak-target watchdog|gateway] [--soak-calls 1000000]` runs the long
 *   keep-alive soak, which is not in the default set.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { startServices, stopServices, type ServicesState } from '../test/harness/index.js';
import { runAsyncBench } from './async.js';
import { runAutoscaleBench } from './autoscale.js';
import { runCallStatusBench } from './call-status.js';
import { runTracingBench } from './tracing.js';
import { runGatewayBench } from './gateway.js';
import { runUpProcessesBench } from './up-processes.js';
import { runOperatorBench } from './operator.js';
import { runQueueBench } from './queue.js';
import { runScaleOutBench } from './scale-out.js';
import type { BenchResult } from './types.js';
import { runWatchdogBench } from './watchdog.js';
import { runFootprintBench } from './footprint.js';
import { runSoakBench, SOAK_TARGETS, type SoakTarget } from './soak.js';

const ALL = ['watchdog', 'footprint', 'gateway', 'up', 'queue', 'async', 'scaleout', 'status', 'tracing', 'operator', 'autoscale'] as const;
// Run only when named: the soak takes 10-20 minutes per target.
const OPT_IN = ['soak'] as const;
type Suite = (typeof ALL)[number] | (typeof OPT_IN)[number];

interface Args {
  only: Suite[];
  durationMs: number;
  soakTargets: SoakTarget[];
  soakCalls: number;
}

function parseArgs(argv: readonly string[]): Args {
  let only: Suite[] = [...ALL];
  let durationMs = 5_000;
  let soakTargets: SoakTarget[] = [...SOAK_TARGETS];
  let soakCalls = 1_000_000;
  const known: readonly string[] = [...ALL, ...OPT_IN];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--only' && value) {
      only = value.split(',').map((s) => {
        if (!known.includes(s)) throw new Error(`--only: unknown suite ${JSON.stringify(s)} (one of ${known.join(', ')})`);
        return s as Suite;
      });
      i++;
    } else if (arg === '--duration-ms' && value && /^\d+$/.test(value)) {
      durationMs = Number(value);
      i++;
    } else if (arg === '--soak-target' && value) {
      soakTargets = value.split(',').map((t) => {
        if (!(SOAK_TARGETS as readonly string[]).includes(t)) throw new Error(`--soak-target: unknown target ${JSON.stringify(t)} (one of ${SOAK_TARGETS.join(', ')})`);
        return t as SoakTarget;
      });
      i++;
    } else if (arg === '--soak-calls' && value && /^[1-9]\d*$/.test(value)) {
      soakCalls = Number(value);
      i++;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: run.js [--only ${known.join(',')}] [--duration-ms N] [--soak-target ${SOAK_TARGETS.join(',')}] [--soak-calls N]`);
    }
  }
  return { only, durationMs, soakTargets, soakCalls };
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '—';
}

/** Renders results as a markdown table. */
export function renderTable(results: readonly BenchResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.baseline} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.ratio, 2)} | ${r.rssMb === undefined ? '' : fmt(r.rssMb, 0)} | ${r.notes ?? ''} |`,
  );
  return ['| scenario | baseline | req/s | p50 ms | p99 ms | ratio | RSS MiB | notes |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const { only, durationMs, soakTargets, soakCalls } = parseArgs(process.argv.slice(2));
  const needsServices = only.includes('async') || only.includes('scaleout') || only.includes('queue') || only.includes('status') || only.includes('operator');
  let services: ServicesState | undefined;
  let stateFile: string | undefined;
  const results: BenchResult[] = [];
  try {
    if (needsServices) {
      // Owned like a jest run, with its own state file: a crashed bench is reaped by the next run.
      stateFile = join(process.cwd(), '.test-state', `bench-${process.pid}.json`);
      services = await startServices({ owner: 'jest', stateFile, report: (line) => process.stderr.write(`${line}\n`) });
    }
    for (const suite of only) {
      process.stderr.write(`bench: ${suite}...\n`);
      if (suite === 'watchdog') results.push(...(await runWatchdogBench({ durationMs, connections: 64 })));
      if (suite === 'footprint') results.push(...(await runFootprintBench({ functions: 50 })));
      if (suite === 'gateway') results.push(...(await runGatewayBench({ durationMs, connections: 64, bodyBytes: 1024 })));
      if (suite === 'up') results.push(...(await runUpProcessesBench({ durationMs, connections: 64, bodyBytes: 1024 })));
      if (suite === 'queue') results.push(...(await runQueueBench({ durationMs, brokers: services!.brokers })));
      if (suite === 'async') results.push(...(await runAsyncBench({ durationMs, connections: 64, brokers: services!.brokers })));
      if (suite === 'scaleout') results.push(...(await runScaleOutBench({ brokers: services!.brokers })));
      if (suite === 'status') results.push(...(await runCallStatusBench({ durationMs, connections: 64, brokers: services!.brokers })));
      if (suite === 'tracing') results.push(...(await runTracingBench({ durationMs, connections: 64 })));
      if (suite === 'operator') results.push(...(await runOperatorBench({ kubeconfigPath: services!.kubeconfig, count: 1000 })));
      if (suite === 'soak') results.push(...(await runSoakBench({ targets: soakTargets, calls: soakCalls, connections: 64, report: (line) => process.stderr.write(`${line}\n`) })));
      if (suite === 'autoscale') results.push(...(await runAutoscaleBench({ calls: 2_000, callSeconds: 0.2, coldStarts: 20 })));
    }
  } finally {
    if (services) await stopServices(services, stateFile);
  }
  const header = `Measured ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end; ${durationMs} ms per phase.`;
  const table = renderTable(results);
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.md'), `${header}\n\n${table}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ header, results }, null, 2)}\n`);
  process.stdout.write(`${header}\n\n${table}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
