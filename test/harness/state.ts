import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostRecord } from './node-host.js';

/** One running service as recorded in the state file. */
export interface ServiceRecord {
  version: string;
  /** `host:port` for Kafka, a URL for the HTTP services. */
  endpoint: string;
  pgid: number;
  log: string;
}

/** What the test services' owner writes and tests read: how to reach everything and how to stop it. */
export interface ServicesState {
  schema: 1;
  /** `jest` (globalSetup; torn down after the run) or `infra-up` (runs until `make infra-down`). */
  owner: 'jest' | 'infra-up';
  /** The process that owns a jest run; a dead owner means the run crashed and its services are leftovers. */
  ownerPid: number | null;
  status: 'ready';
  startedAt: string;
  runDir: string;
  brokers: string[];
  kubeconfig: string;
  services: {
    kafka: ServiceRecord;
    etcd: ServiceRecord;
    kubeApiserver: ServiceRecord;
    kubeControllerManager: ServiceRecord;
    /** The test node's services, when it runs (the e2e suite, `make infra-up`). */
    containerd?: ServiceRecord;
    kubelet?: ServiceRecord;
    kubeScheduler?: ServiceRecord;
  };
  /** The real node: present when pods run (the e2e suite and `make infra-up`), absent for the integration suite. */
  node?: NodeRecord;
  /** Every process group started, for teardown and for reaping after a crash. */
  pgids: number[];
  /** The same groups with the service each one runs, so teardown can stop them in dependency order. */
  processes: Array<{ name: string; pgid: number }>;
  /** Milliseconds from the start of startServices() until everything was ready. */
  startupMs: number;
}

/** The test node as recorded in the state file. */
export interface NodeRecord {
  name: string;
  ip: string;
  /** Image references in the node's containerd, by role. */
  images: { kfaas: string; function: string; pause: string };
  /** scripts/images.sh output: the OCI image tarballs they were imported from. */
  imagesDir: string;
  containerdSocket: string;
  /** kubectl and helm binaries built from their Go modules. */
  kubectl: string;
  helm: string;
  /** The host as it was before the node started, for teardown. */
  host: HostRecord;
  /** Milliseconds from the control plane being ready until the node was Ready (images imported). */
  readyMs: number;
}

/** The state file while services are being launched: enough to reap them if the launcher dies. */
export type StartingState = Pick<ServicesState, 'schema' | 'owner' | 'ownerPid' | 'startedAt' | 'runDir' | 'pgids' | 'processes'> & {
  status: 'starting';
};

/** Any state file content. */
export type StateFile = ServicesState | StartingState;

/** The repository root: the nearest ancestor of this file with a package.json (works from src and dist). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('kfaas test harness: no package.json above test/harness');
    dir = parent;
  }
}

/** The state file: $KFAAS_TEST_STATE, else `<repo>/.test-state/state.json`. */
export function statePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.KFAAS_TEST_STATE || path.join(repoRoot(), '.test-state', 'state.json');
}

/** Reads the state file, or undefined when there is none. */
export function readState(file = statePath()): StateFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as StateFile;
}

/** Writes the state file atomically (temp file + rename), so a reader never sees half of it. */
export function writeState(state: StateFile, file = statePath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Removes the state file if it still describes `runDir` (a newer run's file is left alone). */
export function removeState(runDir: string, file = statePath()): void {
  const current = readState(file);
  if (current && current.runDir === runDir) fs.rmSync(file, { force: true });
}
