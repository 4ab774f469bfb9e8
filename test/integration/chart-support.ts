// Shared by the chart-*.int.test.ts suites: the helm binary from the tool cache, rendering the chart, and
// Kubernetes clients that act as one of the chart's ServiceAccounts.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The chart directory. */
export const CHART = path.join(REPO, 'charts/kfaas');

let helmPath: string | undefined;

/** The helm binary built by scripts/helm-bin.sh (a warm cache answers at once; a cold one builds it). */
export function helmBin(): string {
  if (!helmPath) {
    const out = execFileSync('bash', [path.join(REPO, 'scripts/helm-bin.sh')], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const dir = out.trim().split('\n').pop() ?? '';
    const bin = path.join(dir, 'helm');
    if (!fs.existsSync(bin)) throw new Error(`scripts/helm-bin.sh printed "${dir}", which holds no helm binary`);
    helmPath = bin;
  }
  return helmPath;
}

// Helm keeps caches and repository config under $HOME; tests give it a private home instead.
const helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-helm-'));
process.once('exit', () => fs.rmSync(helmHome, { recursive: true, force: true }));

/** What one helm invocation printed and how it exited. */
export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`; never throws on a non-zero exit (the caller asserts on `code`). */
export function helm(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<HelmResult> {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
    ...(opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = execFile(helmBin(), args, { cwd: REPO, env, maxBuffer: 32 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      if (err && code === -1) return reject(err);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A rendered Kubernetes object, loosely typed for assertions. */
// `any` on purpose: assertions walk arbitrary rendered manifests, and a failed lookup fails the test anyway.
export type Manifest = { [key: string]: any };

/** Parses a multi-document YAML stream into objects, skipping empty documents. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((obj): obj is Manifest => obj !== null && typeof obj === 'object');
}

/** `--set` style flags turned into a values file, so tests can pass structured values. */
function valuesFile(values: Record<string, unknown>): string {
  const file = path.join(helmHome, `values-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

/** Renders the chart with `helm template`; throws with helm's stderr when rendering fails. */
export async function renderChart(opts: {
  release?: string;
  namespace: string;
  values?: Record<string, unknown>;
  valueFiles?: string[];
}): Promise<Manifest[]> {
  const args = ['template', opts.release ?? 'kfaas', CHART, '--namespace', opts.namespace];
  for (const f of opts.valueFiles ?? []) args.push('-f', f);
  if (opts.values) args.push('-f', valuesFile(opts.values));
  const res = await helm(args);
  if (res.code !== 0) throw new Error(`helm template failed (exit ${res.code}): ${res.stderr}`);
  return parseManifests(res.stdout);
}

/** Writes `values` to a temporary file and returns its path (for helm install/upgrade/lint). */
export function writeValues(values: Record<string, unknown>): string {
  return valuesFile(values);
}

/** Finds the one object of `kind` named `name`, or fails the test naming what was there. */
export function pick(objects: Manifest[], kind: string, name: string, namespace?: string): Manifest {
  const found = objects.filter(
    (o) => o.kind === kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace),
  );
  if (found.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`).join(', ');
    throw new Error(`expected one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}; rendered: ${have}`);
  }
  return found[0]!;
}

/** A container's env as a name -> value map; valueFrom entries become `<from:secret/key>`-style markers. */
export function envOf(container: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of (container.env ?? []) as Array<{ name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }>) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) out[e.name] = `<secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}>`;
    else if (e.valueFrom?.fieldRef) out[e.name] = `<field:${e.valueFrom.fieldRef.fieldPath}>`;
    else out[e.name] = '';
  }
  return out;
}

/** The Kubernetes user name of a ServiceAccount. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * A KubeConfig that authenticates as the admin but acts as `user` (the Impersonate-User header), so every call
 * is authorised exactly as that ServiceAccount's would be. The apiserver adds the ServiceAccount groups itself.
 */
export function impersonating(admin: k8s.KubeConfig, user: string): k8s.KubeConfig {
  const cluster = admin.getCurrentCluster();
  const adminUser = admin.getCurrentUser();
  if (!cluster || !adminUser) throw new Error('the admin kubeconfig has no current cluster or user');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ ...adminUser, name: 'impersonated', impersonateUser: user }],
    contexts: [{ name: 'impersonated', cluster: cluster.name, user: 'impersonated' }],
    currentContext: 'impersonated',
  });
  return kc;
}

/** The HTTP status of a failed client-node call (ApiException.code), or undefined for other errors. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Runs `call` and returns its HTTP status: 200 for success, else the error's status (throws on non-HTTP errors). */
export async function statusFrom(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (err) {
    const status = statusOf(err);
    if (status === undefined) throw err;
    return status;
  }
}

/** Where the chart's kinds live in the API: path prefix, plural, and whether they are namespaced. */
const KINDS: Readonly<Record<string, { base: string; plural: string; namespaced: boolean }>> = {
  Namespace: { base: '/api/v1', plural: 'namespaces', namespaced: false },
  ServiceAccount: { base: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  Secret: { base: '/api/v1', plural: 'secrets', namespaced: true },
  Service: { base: '/api/v1', plural: 'services', namespaced: true },
  Deployment: { base: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  PodDisruptionBudget: { base: '/apis/policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  Role: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  ClusterRole: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  ServiceMonitor: { base: '/apis/monitoring.coreos.com/v1', plural: 'servicemonitors', namespaced: true },
  CustomResourceDefinition: { base: '/apis/apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false },
};

/** The API path of one object of a kind the chart renders. */
export function objectPath(obj: Manifest): string {
  const kind = KINDS[obj.kind];
  if (!kind) throw new Error(`no API path known for kind ${obj.kind}`);
  const ns = kind.namespaced ? `/namespaces/${obj.metadata.namespace}` : '';
  return `${kind.base}${ns}/${kind.plural}/${obj.metadata.name}`;
}

/**
 * One raw JSON request to the apiserver with `kc`'s credentials. Raw on purpose: client-node's typed
 * serializers drop fields they do not model (a CRD's `enum` and `x-kubernetes-*`, a misspelt Deployment field),
 * which would hide exactly what these tests look for. Resolves the status and parsed body; never throws on a status.
 */
export async function kubeRequest(
  kc: k8s.KubeConfig,
  method: string,
  apiPath: string,
  opts: { body?: unknown; contentType?: string; query?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const query = new URLSearchParams(opts.query ?? {}).toString();
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        ...options,
        agent: undefined,
        host: server.hostname,
        port: server.port,
        method,
        path: `${apiPath}${query ? `?${query}` : ''}`,
        headers: {
          ...(options.headers ?? {}),
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the message.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Server-side applies `obj` (as `kubectl apply --server-side --force-conflicts`), with strict field validation so
 * an unknown field is an error. `dryRun` checks everything (admission, validation) without persisting.
 * Resolves undefined on success, else a message naming the object and the apiserver's complaint.
 */
export async function serverSideApply(kc: k8s.KubeConfig, obj: Manifest, opts: { dryRun?: boolean } = {}): Promise<string | undefined> {
  const res = await kubeRequest(kc, 'PATCH', objectPath(obj), {
    body: obj,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'kfaas-chart-test', force: 'true', fieldValidation: 'Strict', ...(opts.dryRun ? { dryRun: 'All' } : {}) },
  });
  if (res.status >= 200 && res.status < 300) return undefined;
  const message = typeof res.body === 'object' && res.body !== null ? (res.body as { message?: string }).message : String(res.body);
  return `${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}: ${res.status} ${message}`;
}
