// Shared by the e2e suite: the real kubectl and helm against the node's cluster, the gateway as a client sees
// it, a callback receiver, and load drivers that count every call.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { freePorts } from '../harness/ports.js';
import type { NodeRecord, ServicesState } from '../harness/state.js';
import { kubeConfigFor, startHttpServer, type TestHttpServer } from '../helpers/index.js';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The node of the state, or an error naming what is missing (the e2e project's global setup starts one). */
export function nodeOf(state: ServicesState): NodeRecord {
  if (!state.node) throw new Error('these services have no node; run the e2e suite through `scripts/test.sh test/e2e` or `make test`');
  return state.node;
}

/** What one command printed and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-e2e-'));
process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a binary to completion (never throws on a non-zero exit: the caller asserts on `code`). */
export function run(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { cwd: REPO, env: { ...process.env, ...opts.env }, maxBuffer: 32 << 20, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The kubectl built from the Kubernetes module, as the cluster admin. */
export function kubectl(state: ServicesState, args: string[], input?: string): Promise<CommandResult> {
  return run(nodeOf(state).kubectl, ['--kubeconfig', state.kubeconfig, ...args], { input });
}

/** helm with its caches in a temporary home, as the cluster admin. */
export function helm(state: ServicesState, args: string[]): Promise<CommandResult> {
  return run(nodeOf(state).helm, [...args, '--kubeconfig', state.kubeconfig], {
    env: { HELM_CACHE_HOME: path.join(tmp, 'cache'), HELM_CONFIG_HOME: path.join(tmp, 'config'), HELM_DATA_HOME: path.join(tmp, 'data') },
  });
}

/** Writes a values file for helm and returns its path. */
export function valuesFile(values: unknown): string {
  const file = path.join(tmp, `values-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

/** Fails with the command's output unless it exited 0. */
export function ok(res: CommandResult, what: string): string {
  if (res.code !== 0) throw new Error(`${what} exited ${res.code}:\n${res.stderr}\n${res.stdout}`);
  return res.stdout;
}

/** One HTTP answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  body: string;
  ms: number;
}

/** The gateway as a client sees it. */
export function gatewayClient(base: string, auth: () => string) {
  const call = async (method: string, route: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const t0 = Date.now();
    const res = await fetch(`${base}${route}`, { method, body, headers, signal: AbortSignal.timeout(60_000) });
    return { status: res.status, headers: res.headers, body: await res.text(), ms: Date.now() - t0 };
  };
  const system = (method: string, route: string, body?: unknown): Promise<Answer> =>
    call(method, route, body === undefined ? undefined : JSON.stringify(body), {
      authorization: `Basic ${Buffer.from(`admin:${auth()}`).toString('base64')}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    });
  return { call, system };
}

/** A callback as the receiver got it. */
export interface Callback {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A callback receiver on the node's address (pods and hostNetwork workers both reach it), keyed by call id. */
export async function startReceiver(host: string): Promise<TestHttpServer & { received: Map<string, Callback[]>; url: string }> {
  const received = new Map<string, Callback[]>();
  const server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['x-call-id'] ?? '');
      received.set(id, [...(received.get(id) ?? []), { headers: req.headers, body: Buffer.concat(chunks).toString() }]);
      res.writeHead(200).end();
    });
  }, { host });
  return Object.assign(server, { received, url: `http://${host}:${server.port}/done` });
}

/** Counts of a load run. */
export interface LoadReport {
  calls: number;
  failures: Array<{ status: number; body: string }>;
}

/**
 * Runs `callers` loops of `one()` (each pausing `pauseMs` between calls) until `stop()` says so; counts every call
 * and keeps every failure (a thrown fetch counts as status 0).
 */
export async function steadyLoad(callers: number, one: () => Promise<Answer>, ok2xx: (a: Answer) => boolean, stop: () => boolean, pauseMs = 0): Promise<LoadReport> {
  const report: LoadReport = { calls: 0, failures: [] };
  await Promise.all(Array.from({ length: callers }, async () => {
    // A broken target fails every call at once: past 1,000 failures the run has said what it can.
    while (!stop() && report.failures.length < 1_000) {
      report.calls++;
      try {
        const a = await one();
        if (!ok2xx(a)) report.failures.push({ status: a.status, body: a.body.slice(0, 200) });
      } catch (err) {
        report.failures.push({ status: 0, body: (err as Error).message });
      }
      // Always yield to the event loop (timers included): a call that fails without I/O must not starve the
      // code that decides when to stop, or a signal handler.
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }));
  return report;
}

/** Values merged into one platform component's (`gateway`, `operator`, `worker`) by installPlatform. */
export type ComponentValues = Record<string, unknown>;

/**
 * `helm install` of the chart with the node's kfaas image, hostNetwork pods on free ports, and waits for the
 * operator, gateway and worker rollouts (failing with the container's last words). Returns the gateway as a
 * client, with the generated password.
 */
export async function installPlatform(
  state: ServicesState,
  release: string,
  namespace: string,
  extra: { gateway?: ComponentValues; operator?: ComponentValues; worker?: ComponentValues; functions?: ComponentValues; topics?: ComponentValues } = {},
): Promise<ReturnType<typeof gatewayClient>> {
  const node = nodeOf(state);
  const [gatewayPort, gatewayMetrics, workerPort, operatorPort] = (await freePorts(4)) as [number, number, number, number];
  const api = new URL(state.services.kubeApiserver.endpoint);
  // The node has no kube-proxy, so the `kubernetes` Service IP routes nowhere: the in-cluster client of the
  // hostNetwork pods is pointed at the apiserver's own address instead.
  const apiEnv = [{ name: 'KUBERNETES_SERVICE_HOST', value: api.hostname }, { name: 'KUBERNETES_SERVICE_PORT', value: api.port }];
  const [repository, tag] = node.images.kfaas.split(/:(?=[^:/]+$)/) as [string, string];
  const values = valuesFile({
    image: { repository, tag, pullPolicy: 'Never' },
    hostNetwork: true,
    kafka: { brokers: state.brokers, topics: { replicationFactor: 1, partitions: 6, ...extra.topics } },
    ...(extra.functions ? { functions: extra.functions } : {}),
    gateway: { replicas: 1, port: gatewayPort, metricsPort: gatewayMetrics, extraEnv: apiEnv, ...extra.gateway },
    operator: { port: operatorPort, extraEnv: apiEnv, ...extra.operator },
    worker: { replicas: 1, port: workerPort, gatewayUrl: `http://${node.ip}:${gatewayPort}`, drainTimeout: '10s', terminationGracePeriodSeconds: 20, ...extra.worker },
  });
  ok(await helm(state, ['install', release, path.join(REPO, 'charts/kfaas'), '--namespace', namespace, '--create-namespace', '-f', values]), 'helm install');
  for (const component of ['operator', 'gateway', 'worker']) {
    const rollout = await kubectl(state, ['-n', namespace, 'rollout', 'status', `deployment/${release}-${component}`, '--timeout=180s']);
    if (rollout.code !== 0) {
      // The container's own last words say why it never became Ready (a crash, a bad config).
      const logs = await kubectl(state, ['-n', namespace, 'logs', `deployment/${release}-${component}`, '--tail=30', '--all-containers']);
      const previous = await kubectl(state, ['-n', namespace, 'logs', `deployment/${release}-${component}`, '--tail=30', '--previous']);
      throw new Error(`rollout of ${component} failed: ${rollout.stderr}${rollout.stdout}\nlogs:\n${logs.stdout}${logs.stderr}\nprevious:\n${previous.stdout}`);
    }
  }
  const core = kubeConfigFor(state).makeApiClient(k8s.CoreV1Api);
  const secret = await core.readNamespacedSecret({ namespace, name: `${release}-basic-auth` });
  const password = Buffer.from(secret.data!['basic-auth-password']!, 'base64').toString();
  return gatewayClient(`http://${node.ip}:${gatewayPort}`, () => password);
}

