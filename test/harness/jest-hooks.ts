// The jest globalSetup/globalTeardown bodies. jest loads its global hooks outside its module system, where the
// `.js` specifiers of this ESM code cannot resolve to .ts files, so global-setup.ts compiles the harness and
// imports this file from dist/test/harness/.
import path from 'node:path';
import { loadServices } from './load.js';
import { killServicesNow, reapCrashedRuns, startServices, stopServices } from './services.js';
import { readState, statePath } from './state.js';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Starts the services for this jest run; with `node`, also a real node that runs pods (the e2e project). Services
 * left running by `make infra-up` (the state file at KFAAS_TEST_STATE or `.test-state/state.json`) are reused
 * when they match (a node for e2e, none for the integration suite, whose tests rely on pods staying Pending),
 * unless KFAAS_FRESH_SERVICES=1. Otherwise the run gets its own state file (`jest-<pid>.json` beside it), published
 * to the test workers through KFAAS_TEST_STATE (they are forked after globalSetup), so concurrent runs in one work
 * tree never share, overwrite or stop each other's services.
 */
export async function setup(opts: { node?: boolean } = {}): Promise<void> {
  const node = opts.node ?? false;
  const shared = statePath();
  const existing = readState(shared);
  if (existing?.owner === 'infra-up' && !process.env.KFAAS_FRESH_SERVICES) {
    try {
      const state = loadServices(shared);
      if (Boolean(state.node) !== node) {
        throw new Error(node ? 'they include no node (the e2e suite needs one)' : 'they include a node, on which the integration suite\'s pods would run');
      }
      say(`\nusing the services started by make infra-up (kafka ${state.brokers.join(',')}, kubeconfig ${state.kubeconfig})`);
      process.env.KFAAS_TEST_STATE = shared;
      return;
    } catch (err) {
      say(`not using the infra-up services: ${(err as Error).message}`);
    }
  }
  const stateFile = path.join(path.dirname(shared), `jest-${process.pid}.json`);
  process.env.KFAAS_TEST_STATE = stateFile;
  await reapCrashedRuns(path.dirname(shared));
  say(`\nstarting test services (Kafka, etcd, kube-apiserver, kube-controller-manager${node ? ', and a node: containerd, kubelet, kube-scheduler' : ''})`);
  const state = await startServices({ owner: 'jest', report: say, stateFile, node });
  // Teardown normally stops everything; these cover a jest process that dies or is interrupted first.
  // The services run in their own sessions, so a Ctrl-C at the terminal never reaches them by itself.
  process.once('exit', () => killServicesNow(state, stateFile));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killServicesNow(state, stateFile);
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Stops the services this jest process started (never those of `make infra-up`). */
export async function teardown(): Promise<void> {
  const stateFile = statePath();
  const state = readState(stateFile);
  if (!state || state.owner !== 'jest' || state.ownerPid !== process.pid) return;
  const leftovers = await stopServices(state, stateFile);
  // The node must leave the host as it found it; a failed teardown fails the run.
  if (leftovers.length) throw new Error(`the test node's teardown left the host changed:\n  ${leftovers.join('\n  ')}`);
}
