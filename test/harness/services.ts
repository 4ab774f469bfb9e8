import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKafka } from './kafka.js';
import { startKube } from './kube.js';
import { startNode } from './node.js';
import { hostLeftovers, killContainers, readHostRecord, restoreHost } from './node-host.js';
import { killGroup, pidAlive, processMentions, startWithPortRetry, type ProcessRegistry, type ServiceProcess } from './process.js';
import { readState, removeState, repoRoot, statePath, writeState, type ServicesState } from './state.js';
import { resolveNodeTools, resolveTools } from './tools.js';

/** Options for {@link startServices}. */
export interface StartOptions {
  owner: ServicesState['owner'];
  /** Receives one human-readable line per ready service. */
  report?: (line: string) => void;
  /** State file; defaults to {@link statePath}. */
  stateFile?: string;
  /** Also start a real node (containerd, kubelet, kube-scheduler) that runs pods, with the kfaas images imported. */
  node?: boolean;
}

export { pidAlive } from './process.js';

/**
 * Stop order: clients before what they depend on. The node's containers are killed after the kubelet stops (so it
 * restarts none) and before containerd does. An apiserver whose etcd is already gone hangs in shutdown
 * until the SIGKILL 10 s later, and so does a controller-manager without its apiserver; Kafka depends on nothing.
 */
const STOP_STAGE: Record<string, number> = {
  'kube-controller-manager': 0, kafka: 0, kubelet: 0, 'kube-scheduler': 0, containerd: 1, 'kube-apiserver': 1, etcd: 2,
};

/** What {@link stopServices} needs from a state file. */
export type StopTarget = Pick<ServicesState, 'pgids' | 'runDir'> & Partial<Pick<ServicesState, 'processes'>>;

/**
 * Stops every process group the state records (SIGTERM, SIGKILL after 10 s; dependents before their
 * dependencies) and removes its run dir and the state file. A node's host changes are undone; what could not be
 * is returned (empty when the host is as it was). A pgid whose process no longer mentions the run dir
 * was reused by the kernel and is left alone.
 */
export async function stopServices(state: StopTarget, stateFile = statePath()): Promise<string[]> {
  const named = state.processes ?? [];
  const stageOf = (pgid: number): number => STOP_STAGE[named.find((p) => p.pgid === pgid)?.name ?? ''] ?? 0;
  const ours = state.pgids.filter((pgid) => processMentions(pgid, state.runDir));
  // A node this run claimed (even one that never finished starting) is known by the host record.
  const host = readHostRecord();
  const ownNode = host?.runDir === state.runDir;
  for (const stage of [0, 1, 2]) {
    await Promise.all(ours.filter((pgid) => stageOf(pgid) === stage).map((pgid) => killGroup(pgid)));
    if (stage === 0 && ownNode) killContainers(state.runDir);
  }
  // Mounts in the run dir (pod volumes, the kubelet's root) must go before the directory can be removed.
  if (ownNode && host) restoreHost(host);
  if (!process.env.KFAAS_KEEP_RUN_DIR) fs.rmSync(state.runDir, { recursive: true, force: true });
  removeState(state.runDir, stateFile);
  return ownNode && host ? hostLeftovers(host) : [];
}

/**
 * Synchronously SIGKILLs the recorded groups and removes the run dir and state file; for process exit and
 * signal handlers, where nothing can be awaited.
 */
export function killServicesNow(state: StopTarget, stateFile = statePath()): void {
  for (const pgid of state.pgids) {
    if (!processMentions(pgid, state.runDir)) continue;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const host = readHostRecord();
  if (host?.runDir === state.runDir) restoreHost(host);
  if (!process.env.KFAAS_KEEP_RUN_DIR) fs.rmSync(state.runDir, { recursive: true, force: true });
  removeState(state.runDir, stateFile);
}

/**
 * Stops what a previous run left behind according to the state file (a crashed jest run, a forgotten
 * infra-up). Refuses when a live jest run still owns it.
 */
export async function reapLeftovers(stateFile = statePath()): Promise<void> {
  const old = readState(stateFile);
  if (!old) return;
  if (old.owner === 'jest' && old.ownerPid !== null && old.ownerPid !== process.pid && pidAlive(old.ownerPid)) {
    throw new Error(`test services in ${stateFile} belong to a running jest process (pid ${old.ownerPid}); ` +
      'wait for it, or set KFAAS_TEST_STATE to another path');
  }
  await stopServices(old, stateFile);
}

/**
 * Reaps the services of jest runs that died without their teardown: every `jest-*.json` state file next to
 * `stateFile` whose owner process is gone.
 */
export async function reapCrashedRuns(dir: string): Promise<void> {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => /^jest-\d+\.json$/.test(f));
  } catch {
    return;
  }
  for (const file of files.map((f) => path.join(dir, f))) {
    const old = readState(file);
    if (old && old.owner === 'jest' && old.ownerPid !== null && old.ownerPid !== process.pid && !pidAlive(old.ownerPid)) {
      await stopServices(old, file);
    }
  }
}

/**
 * Starts Kafka and the Kubernetes control plane in parallel in a fresh run dir, writes the state file, and
 * returns it. On any failure every process started so far is stopped and the run dir removed.
 */
export async function startServices(opts: StartOptions): Promise<ServicesState> {
  const t0 = Date.now();
  const stateFile = opts.stateFile ?? statePath();
  const report = opts.report ?? (() => undefined);
  await reapLeftovers(stateFile);
  const root = repoRoot();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-run-'));
  const started: ServiceProcess[] = [];
  const base = { schema: 1 as const, owner: opts.owner, ownerPid: opts.owner === 'jest' ? process.pid : null, runDir,
    startedAt: new Date(t0).toISOString() };
  // The state file lists pgids from the first spawn on, so a run killed mid-startup can still be reaped.
  const processes = (): ServicesState['processes'] => started.map((p) => ({ name: p.name, pgid: p.pgid }));
  const recordStarting = (): void =>
    writeState({ ...base, status: 'starting', pgids: started.map((p) => p.pgid), processes: processes() }, stateFile);
  const registry: ProcessRegistry = {
    add: (p) => {
      started.push(p);
      recordStarting();
    },
    remove: (p) => {
      started.splice(started.indexOf(p), 1);
      recordStarting();
    },
  };
  recordStarting();
  try {
    const tools = await resolveTools(root);
    const nodeTools = opts.node ? await resolveNodeTools(root, tools) : undefined;
    const [kafkaResult, kubeResult] = await Promise.allSettled([
      startWithPortRetry(registry, (onStart) => startKafka({ libDir: tools.kafkaLib, runDir, repoRoot: root, onStart })).then((k) => {
        report(`kafka ${tools.kafkaVersion} ready on ${k.broker} (${(k.readyMs / 1000).toFixed(1)}s)`);
        return k;
      }),
      startKube({ etcdBin: tools.etcdBin, k8sBin: tools.k8sBin, runDir, registry, forNode: opts.node }).then(async (k) => {
        report(`etcd ${tools.etcdVersion} ready on ${k.etcd.url}`);
        report(`kube-apiserver ${tools.kubeVersion} ready on ${k.apiserver.url}`);
        report(`kube-controller-manager ${tools.kubeVersion} ready on ${k.controllerManager.url} (${(k.readyMs / 1000).toFixed(1)}s)`);
        if (!nodeTools) return { ...k, node: undefined };
        const node = await startNode({ runDir, k8sBin: tools.k8sBin, kubeconfig: k.kubeconfig, apiserverUrl: k.apiserver.url,
          pki: k.pki, imagesDir: nodeTools.imagesDir, registry });
        report(`node ${node.name} Ready on ${node.ip}: containerd, kubelet ${tools.kubeVersion}, kube-scheduler (${(node.readyMs / 1000).toFixed(1)}s, images imported)`);
        return { ...k, node };
      }),
    ]);
    // Both branches have settled here, so nothing is still spawning while a failure is cleaned up.
    if (kafkaResult.status === 'rejected') throw kafkaResult.reason;
    if (kubeResult.status === 'rejected') throw kubeResult.reason;
    const kafka = kafkaResult.value;
    const kube = kubeResult.value;
    const node = kube.node;
    const rec = (p: ServiceProcess, version: string, endpoint: string) => ({ version, endpoint, pgid: p.pgid, log: p.logPath });
    const state: ServicesState = {
      ...base,
      status: 'ready',
      brokers: [kafka.broker],
      kubeconfig: kube.kubeconfig,
      services: {
        kafka: rec(kafka.process, tools.kafkaVersion, kafka.broker),
        etcd: rec(kube.etcd.process, tools.etcdVersion, kube.etcd.url),
        kubeApiserver: rec(kube.apiserver.process, tools.kubeVersion, kube.apiserver.url),
        kubeControllerManager: rec(kube.controllerManager.process, tools.kubeVersion, kube.controllerManager.url),
        ...(node && {
          containerd: rec(node.containerd, 'debian', `unix://${node.containerdSocket}`),
          kubelet: rec(node.kubelet, tools.kubeVersion, node.ip),
          kubeScheduler: rec(node.scheduler.process, tools.kubeVersion, node.scheduler.url),
        }),
      },
      ...(node && nodeTools && {
        node: {
          name: node.name, ip: node.ip, images: node.images, imagesDir: nodeTools.imagesDir, containerdSocket: node.containerdSocket,
          kubectl: path.join(tools.k8sBin, 'kubectl'), helm: nodeTools.helmBin, host: node.host, readyMs: node.readyMs,
        },
      }),
      pgids: started.map((p) => p.pgid),
      processes: processes(),
      startupMs: Date.now() - t0,
    };
    writeState(state, stateFile);
    report(`all services ready in ${(state.startupMs / 1000).toFixed(1)}s; state in ${stateFile}`);
    return state;
  } catch (err) {
    await stopServices({ pgids: started.map((p) => p.pgid), processes: processes(), runDir }, stateFile);
    throw err;
  }
}
