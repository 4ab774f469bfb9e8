// `make infra-up` / `make infra-down` / `make infra-status`: the same services as the jest run, started detached
// so they outlive this process. Compiled by test/harness/tsconfig.json to dist/test/harness/cli.js.
import { execFileSync } from 'node:child_process';
import { loadServices } from './load.js';
import { pidAlive, startServices, stopServices } from './services.js';
import { readState, statePath, type ServicesState } from './state.js';

const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function exportLine(state: ServicesState): string {
  return `export KAFKA_BROKERS=${state.brokers.join(',')} KUBECONFIG=${state.kubeconfig} KFAAS_TEST_STATE=${statePath()}`;
}

function rssMb(pid: number): string {
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return `${Math.round(kb / 1024)} MB`;
  } catch {
    return 'gone';
  }
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing?.owner === 'infra-up' && existing.status === 'ready') {
    try {
      const state = loadServices();
      err(`services already running (started ${state.startedAt}); \`make infra-down\` stops them`);
      process.stdout.write(`${exportLine(state)}\n`);
      return;
    } catch (e) {
      err(`${(e as Error).message}; restarting`);
    }
  }
  // The node comes up too unless KFAAS_INFRA_NODE=0 (`make infra-up NODE=0`), which the integration suite can reuse.
  const node = process.env.KFAAS_INFRA_NODE !== '0';
  const state = await startServices({ owner: 'infra-up', report: err, node });
  process.stdout.write(`${exportLine(state)}\n`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    err(`nothing to stop (${statePath()} does not exist)`);
    return;
  }
  if (state.owner === 'jest' && state.ownerPid !== null && pidAlive(state.ownerPid)) {
    throw new Error(`the services belong to a running jest process (pid ${state.ownerPid}); it stops them itself`);
  }
  const leftovers = await stopServices(state);
  err(`stopped ${state.pgids.length} service process groups and removed ${state.runDir}`);
  if (leftovers.length) throw new Error(`the node's teardown left the host changed:\n  ${leftovers.join('\n  ')}`);
}

function status(): void {
  const state = loadServices();
  for (const [name, svc] of Object.entries(state.services)) {
    err(`${name} ${svc.version} on ${svc.endpoint} pgid ${svc.pgid} rss ${rssMb(svc.pgid)} log ${svc.log}`);
  }
  process.stdout.write(`${exportLine(state)}\n`);
}

const commands: Record<string, () => Promise<void> | void> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  err('usage: node dist/test/harness/cli.js up|down|status');
  process.exit(2);
}
try {
  await command();
} catch (e) {
  err(`error: ${(e as Error).message}`);
  process.exit(1);
}
