import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { makePki, writeKubeconfig, type Pki } from './certs.js';
import { pollUntil } from './deadline.js';
import { freePorts } from './ports.js';
import { spawnService, startWithPortRetry, type ProcessRegistry, type ServiceProcess } from './process.js';

/** A started, ready etcd + kube-apiserver + kube-controller-manager. */
export interface KubeServices {
  etcd: { process: ServiceProcess; url: string };
  apiserver: { process: ServiceProcess; url: string };
  controllerManager: { process: ServiceProcess; url: string };
  kubeconfig: string;
  readyMs: number;
}

interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Only for KCM's self-signed serving cert, on loopback. */
  insecure?: boolean;
}

/** GETs a URL and returns the status code and body (1 s timeout). */
function get(url: string, tls: TlsOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? https.get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 1000 }, done)
        : http.get(url, { timeout: 1000 }, done);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Polls `url` until it answers 200 (and `accept(body)` when given). */
async function until200(url: string, proc: ServiceProcess, tls: TlsOptions, timeoutMs: number, accept?: (b: string) => boolean): Promise<void> {
  await pollUntil(
    async () => {
      const { status, body } = await get(url, tls);
      if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 200)}`);
      return accept && !accept(body) ? undefined : true;
    },
    { what: `${proc.name} at ${url} (log: ${proc.logPath})`, timeoutMs, intervalMs: 100, abort: proc.exitError },
  );
}

/** Starts etcd on fresh loopback ports, ready when /health reports true. */
export async function startEtcd(opts: { bin: string; runDir: string; onStart: (p: ServiceProcess) => void }): Promise<{ process: ServiceProcess; url: string }> {
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = spawnService({
    name: 'etcd',
    command: path.join(opts.bin, 'etcd'),
    args: [
      '--name=test', `--data-dir=${path.join(opts.runDir, 'etcd-data')}`,
      `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=test=${peer}`,
      // Test data is throwaway: skipping fsync makes etcd (and so every apiserver write) much faster.
      '--unsafe-no-fsync=true', '--log-level=warn',
    ],
    runDir: opts.runDir,
  });
  opts.onStart(proc);
  await until200(`${url}/health`, proc, {}, 30_000, (body) => /"health"\s*:\s*"true"/.test(body));
  return { process: proc, url };
}

/** Starts kube-apiserver against etcd, ready when /readyz is 200 and namespace `default` exists. */
export async function startApiserver(opts: { bin: string; runDir: string; etcdUrl: string; pki: Pki; onStart: (p: ServiceProcess) => void }): Promise<{ process: ServiceProcess; url: string }> {
  const [port] = (await freePorts(1)) as [number];
  const url = `https://127.0.0.1:${port}`;
  const { pki } = opts;
  const proc = spawnService({
    name: 'kube-apiserver',
    command: path.join(opts.bin, 'kube-apiserver'),
    args: [
      `--etcd-servers=${opts.etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
      `--cert-dir=${path.join(opts.runDir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${url}/`, `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // Cluster IPs are virtual: nothing here ever connects to them.
      '--service-cluster-ip-range=10.0.0.0/16', '--authorization-mode=RBAC', '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      // Keeps the apiserver from writing a loopback address into the `kubernetes` Service endpoints.
      '--endpoint-reconciler-type=none',
    ],
    runDir: opts.runDir,
  });
  opts.onStart(proc);
  const tls: TlsOptions = {
    ca: fs.readFileSync(pki.caCert),
    cert: fs.readFileSync(pki.adminCert),
    key: fs.readFileSync(pki.adminKey),
  };
  const deadline = Date.now() + 60_000;
  await until200(`${url}/readyz`, proc, tls, 60_000);
  await until200(`${url}/api/v1/namespaces/default`, proc, tls, Math.max(1000, deadline - Date.now()));
  return { process: proc, url };
}

/** Starts kube-controller-manager (all controllers, no leader election), ready when /healthz is 200. */
export async function startControllerManager(opts: { bin: string; runDir: string; kubeconfig: string; pki: Pki; onStart: (p: ServiceProcess) => void }): Promise<{ process: ServiceProcess; url: string }> {
  const [port] = (await freePorts(1)) as [number];
  const url = `https://127.0.0.1:${port}`;
  const proc = spawnService({
    name: 'kube-controller-manager',
    command: path.join(opts.bin, 'kube-controller-manager'),
    args: [
      `--kubeconfig=${opts.kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${port}`,
      `--cert-dir=${path.join(opts.runDir, 'kcm-certs')}`,
      `--service-account-private-key-file=${opts.pki.saKey}`, `--root-ca-file=${opts.pki.caCert}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics', '--controllers=*',
    ],
    runDir: opts.runDir,
  });
  opts.onStart(proc);
  await until200(`${url}/healthz`, proc, { insecure: true }, 60_000);
  return { process: proc, url };
}

/**
 * Starts etcd (while the PKI is made), then kube-apiserver, then kube-controller-manager; each one is retried on
 * new ports if it loses a port race.
 */
export async function startKube(opts: { etcdBin: string; k8sBin: string; runDir: string; registry: ProcessRegistry }): Promise<KubeServices> {
  const t0 = Date.now();
  const { etcdBin, k8sBin: bin, runDir, registry } = opts;
  const [pki, etcd] = await Promise.all([
    makePki(runDir),
    startWithPortRetry(registry, (onStart) => startEtcd({ bin: etcdBin, runDir, onStart })),
  ]);
  const apiserver = await startWithPortRetry(registry, (onStart) =>
    startApiserver({ bin, runDir, etcdUrl: etcd.url, pki, onStart }),
  );
  const kubeconfig = writeKubeconfig(runDir, pki, apiserver.url);
  const controllerManager = await startWithPortRetry(registry, (onStart) =>
    startControllerManager({ bin, runDir, kubeconfig, pki, onStart }),
  );
  return { etcd, apiserver, controllerManager, kubeconfig, readyMs: Date.now() - t0 };
}
