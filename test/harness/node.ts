// A real Kubernetes node for the end-to-end suite: containerd + runc with a CNI bridge, a kubelet, and
// kube-scheduler to bind pods to it. Images come from scripts/images.sh (umoci, no container engine).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Pki } from './certs.js';
import { waitFor } from '../helpers/wait-for.js';
import { getJson, until200 } from './http-probe.js';
import { BRIDGE, claimHost, NODE_IP, POD_CIDR, POD_GATEWAY, type HostRecord } from './node-host.js';
import { freePorts } from './ports.js';
import { spawnService, startWithPortRetry, type ProcessRegistry, type ServiceProcess } from './process.js';

const execFileAsync = promisify(execFile);

/** The node's name in the apiserver. */
export const NODE_NAME = 'kfaas-node';

/** The images imported into the node's containerd, by role. */
export interface NodeImages {
  /** The platform image (gateway, worker, operator). */
  kfaas: string;
  /** The example function image (`kfaas watchdog` as entrypoint). */
  function: string;
  /** The pod sandbox image. */
  pause: string;
}

/** A started node whose kubelet has registered and reports Ready. */
export interface NodeServices {
  containerd: ServiceProcess;
  kubelet: ServiceProcess;
  scheduler: { process: ServiceProcess; url: string };
  name: string;
  ip: string;
  images: NodeImages;
  /** The containerd socket (for `ctr --address`). */
  containerdSocket: string;
  host: HostRecord;
  readyMs: number;
}

/** Reads the `refs` file of scripts/images.sh: image file name to reference. */
function imageRefs(imagesDir: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(imagesDir, 'refs'), 'utf8').split('\n')) {
    const [file, ref] = line.trim().split(/\s+/);
    if (file && ref) refs.set(file, ref);
  }
  return refs;
}

function writeCniConfig(dir: string, runDir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const conf = {
    cniVersion: '1.0.0',
    name: 'kfaas-test',
    plugins: [
      {
        type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
        // IPAM state lives in the run dir, not /var/lib/cni, so teardown is one rm.
        ipam: { type: 'host-local', dataDir: path.join(runDir, 'cni', 'ipam'), ranges: [[{ subnet: POD_CIDR, gateway: POD_GATEWAY }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'loopback' },
    ],
  };
  fs.writeFileSync(path.join(dir, '10-kfaas.conflist'), `${JSON.stringify(conf, null, 2)}\n`);
}

function containerdConfig(runDir: string, socket: string, cniConfDir: string, pauseImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${path.join(runDir, 'containerd', 'root')}"
state = "${path.join(runDir, 'containerd', 'state')}"
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[${cri}]
  # The upstream pause image cannot be pulled here: the sandbox image is built locally (test-infra/pause).
  sandbox_image = "${pauseImage}"
  # Required here: the sandbox lacks CAP_SYS_RESOURCE, so a process cannot lower its oom_score_adj, and without
  # this every pod sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cniConfDir}"
`;
}

function kubeletConfig(opts: { caCert: string; socket: string; port: number; healthzPort: number; podLogsDir: string }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: ${opts.port}
healthzBindAddress: 127.0.0.1
healthzPort: ${opts.healthzPort}
readOnlyPort: 0
# This machine's cgroup hierarchy is v1 plus a hugetlb-only unified mount; the kubelet warns and runs.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${opts.socket}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: ${opts.caCert}}
authorization: {mode: AlwaysAllow}
resolvConf: ""
podLogsDir: ${opts.podLogsDir}
serializeImagePulls: false
# A shared test machine: never evict, never collect images.
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 110
`;
}

async function ctr(socket: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 8 << 20 });
  return stdout;
}

/** Starts containerd with the run dir's config, ready when `ctr version` answers. */
async function startContainerd(runDir: string, pauseImage: string, onStart: (p: ServiceProcess) => void): Promise<{ process: ServiceProcess; socket: string }> {
  const dir = path.join(runDir, 'containerd');
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'containerd.sock');
  const cniConfDir = path.join(runDir, 'cni', 'conf');
  writeCniConfig(cniConfDir, runDir);
  const config = path.join(dir, 'config.toml');
  fs.writeFileSync(config, containerdConfig(runDir, socket, cniConfDir, pauseImage));
  const proc = spawnService({ name: 'containerd', command: 'containerd', args: ['--config', config], runDir });
  onStart(proc);
  await waitFor(async () => (await ctr(socket, ['version'])) || undefined,
    { description: `containerd (log: ${proc.logPath})`, timeoutMs: 30_000, intervalMs: 100, abort: proc.exitError });
  return { process: proc, socket };
}

/** Imports the image tarballs of scripts/images.sh and returns their references by role. */
async function importImages(socket: string, imagesDir: string): Promise<NodeImages> {
  const refs = imageRefs(imagesDir);
  const images: Partial<Record<keyof NodeImages, string>> = {};
  const roles: Record<string, keyof NodeImages> = { 'kfaas.tar': 'kfaas', 'function.tar': 'function', 'pause.tar': 'pause' };
  for (const [file, ref] of refs) {
    const role = roles[file];
    if (!role) continue;
    // umoci names the image by its tag only; --base-name gives it the repository part.
    await ctr(socket, ['images', 'import', '--base-name', ref.replace(/:[^:/]+$/, ''), path.join(imagesDir, file)]);
    images[role] = ref;
  }
  const listed = await ctr(socket, ['images', 'ls', '-q']);
  for (const role of Object.values(roles)) {
    const ref = images[role];
    if (!ref || !listed.split('\n').includes(ref)) throw new Error(`image for ${role} (${ref ?? 'missing from refs'}) was not imported into containerd`);
  }
  return images as NodeImages;
}

/** The Ready condition of the node, or undefined while it is not registered. */
async function nodeReady(apiserverUrl: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<true | undefined> {
  const { status, body } = await getJson(`${apiserverUrl}/api/v1/nodes/${NODE_NAME}`, tls);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET node: HTTP ${status}`);
  const ready = (body as { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } })
    .status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') throw new Error(`node not Ready: ${ready?.message ?? 'no Ready condition yet'}`);
  return true;
}

/**
 * Starts containerd (and imports the images), the kubelet and kube-scheduler, ready when the node reports Ready
 * and the scheduler's /healthz answers. The host is claimed first (see node-host.ts) and restored by teardown.
 */
export async function startNode(opts: {
  runDir: string;
  k8sBin: string;
  kubeconfig: string;
  apiserverUrl: string;
  pki: Pki;
  imagesDir: string;
  registry: ProcessRegistry;
}): Promise<NodeServices> {
  const t0 = Date.now();
  const { runDir, registry } = opts;
  const host = claimHost(runDir);
  const pauseImage = imageRefs(opts.imagesDir).get('pause.tar');
  if (!pauseImage) throw new Error(`${opts.imagesDir}/refs names no pause image`);
  const containerd = await startWithPortRetry(registry, (onStart) => startContainerd(runDir, pauseImage, onStart));
  const images = await importImages(containerd.socket, opts.imagesDir);
  const tls = { ca: fs.readFileSync(opts.pki.caCert), cert: fs.readFileSync(opts.pki.adminCert), key: fs.readFileSync(opts.pki.adminKey) };

  const kubelet = await startWithPortRetry(registry, async (onStart) => {
    const [port, healthzPort] = (await freePorts(2)) as [number, number];
    const dir = path.join(runDir, 'kubelet');
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(config, kubeletConfig({ caCert: opts.pki.caCert, socket: containerd.socket, port, healthzPort, podLogsDir: path.join(runDir, 'pod-logs') }));
    const proc = spawnService({
      name: 'kubelet',
      command: path.join(opts.k8sBin, 'kubelet'),
      args: [`--config=${config}`, `--kubeconfig=${opts.kubeconfig}`, `--root-dir=${path.join(dir, 'root')}`,
        `--cert-dir=${path.join(dir, 'pki')}`, `--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`],
      runDir,
    });
    onStart(proc);
    await until200(`http://127.0.0.1:${healthzPort}/healthz`, proc, {}, 60_000);
    return proc;
  });

  const scheduler = await startWithPortRetry(registry, async (onStart) => {
    const [port] = (await freePorts(1)) as [number];
    const url = `https://127.0.0.1:${port}`;
    const proc = spawnService({
      name: 'kube-scheduler',
      command: path.join(opts.k8sBin, 'kube-scheduler'),
      args: [`--kubeconfig=${opts.kubeconfig}`, `--authentication-kubeconfig=${opts.kubeconfig}`,
        `--authorization-kubeconfig=${opts.kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1',
        `--secure-port=${port}`, `--cert-dir=${path.join(runDir, 'scheduler-certs')}`,
        '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics'],
      runDir,
    });
    onStart(proc);
    await until200(`${url}/healthz`, proc, { insecure: true }, 60_000);
    return { process: proc, url };
  });

  await waitFor(() => nodeReady(opts.apiserverUrl, tls), {
    description: `node ${NODE_NAME} to be Ready (kubelet log: ${kubelet.logPath})`, timeoutMs: 90_000, intervalMs: 250, abort: kubelet.exitError,
  });
  return { containerd: containerd.process, kubelet, scheduler, name: NODE_NAME, ip: NODE_IP, images, containerdSocket: containerd.socket, host, readyMs: Date.now() - t0 };
}
