import fs from 'node:fs';
import path from 'node:path';
import { makePki, writeKubeconfig, type Pki } from './certs.js';
import { until200, type TlsOptions } from './http-probe.js';
import { SERVICE_CIDR } from './node-host.js';
import { freePorts } from './ports.js';
import { spawnService, startWithPortRetry, type ProcessRegistry, type ServiceProcess } from './process.js';

/** A started, ready etcd + kube-apiserver + kube-controller-manager. */
export interface KubeServices {
  etcd: { process: ServiceProcess; url: string };
  apiserver: { process: ServiceProcess; url: string };
  controllerManager: { process: ServiceProcess; url: string };
  kubeconfig: string;
  pki: Pki;
  readyMs: number;
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
export async function startApiserver(opts: { bin: string; runDir: string; etcdUrl: string; pki: Pki; forNode?: boolean; onStart: (p: ServiceProcess) => void }): Promise<{ process: ServiceProcess; url: string }> {
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
      // Cluster IPs are virtual: there is no kube-proxy, so nothing connects to them.
      `--service-cluster-ip-range=${SERVICE_CIDR}`, '--authorization-mode=RBAC', '--allow-privileged=true',
      ...(opts.forNode
        ? [
            // Pods on the node get service-account tokens (the ServiceAccount admission plugin stays on), and
            // the pod log API reaches the kubelet at the node's InternalIP (not a DNS lookup of the node name)
            // with a client certificate the kubelet's x509 authentication accepts.
            '--kubelet-preferred-address-types=InternalIP',
            `--kubelet-client-certificate=${pki.adminCert}`, `--kubelet-client-key=${pki.adminKey}`,
          ]
        : // Without a node no pod runs, and tests create pods in fresh namespaces before their SA exists.
          ['--disable-admission-plugins=ServiceAccount']),
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
export async function startKube(opts: { etcdBin: string; k8sBin: string; runDir: string; registry: ProcessRegistry; forNode?: boolean }): Promise<KubeServices> {
  const t0 = Date.now();
  const { etcdBin, k8sBin: bin, runDir, registry } = opts;
  const [pki, etcd] = await Promise.all([
    makePki(runDir),
    startWithPortRetry(registry, (onStart) => startEtcd({ bin: etcdBin, runDir, onStart })),
  ]);
  const apiserver = await startWithPortRetry(registry, (onStart) =>
    startApiserver({ bin, runDir, etcdUrl: etcd.url, pki, forNode: opts.forNode, onStart }),
  );
  const kubeconfig = writeKubeconfig(runDir, pki, apiserver.url);
  const controllerManager = await startWithPortRetry(registry, (onStart) =>
    startControllerManager({ bin, runDir, kubeconfig, pki, onStart }),
  );
  return { etcd, apiserver, controllerManager, kubeconfig, pki, readyMs: Date.now() - t0 };
}
