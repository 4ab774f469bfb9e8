// What the test node changes on the host, and how every change is undone. The kubelet, containerd and the CNI
// bridge plugin change sysctls, add iptables chains, create directories, cgroups, mounts and network namespaces,
// and put links on the host. Setup records the host as it was in HOST_RECORD (on /run, which a reboot clears
// together with everything recorded); teardown, or the next run after a crash, puts it back.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The node's address, on `lo` (the kernel here has no `dummy` link type). 198.18.0.0/15 is the benchmarking range. */
export const NODE_IP = '198.18.1.1';
/** The pod network of the CNI bridge. */
export const POD_CIDR = '198.18.0.0/24';
/** The bridge's own address: the pods' default gateway, through which they reach the node's addresses. */
export const POD_GATEWAY = '198.18.0.1';
/** Service cluster IPs (virtual: there is no kube-proxy on the test node). */
export const SERVICE_CIDR = '198.19.0.0/16';
/** The CNI bridge link. */
export const BRIDGE = 'kfaas0';
/** Where the host's state before the node started is recorded. One test node runs on a host at a time. */
export const HOST_RECORD = '/run/kfaas-test-node.json';

/** Sysctls the kubelet (kernel tunables) and the bridge plugin (forwarding) set. */
const SYSCTLS = [
  'vm.overcommit_memory', 'vm.panic_on_oom', 'kernel.panic', 'kernel.panic_on_oops', 'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding',
];
/** Host paths the node may create; each one that did not exist before is removed afterwards. */
const CREATED_PATHS = ['/var/lib/kubelet', '/var/log/pods', '/var/log/containers', '/run/containerd', '/var/run/netns',
  '/var/lib/cni', '/run/netns', '/etc/cni', '/opt/cni'];
/** Cgroups the kubelet (kubepods) and containerd (k8s.io) create in every hierarchy. */
const CGROUP_NAMES = ['kubepods', 'k8s.io'];
const CGROUP_ROOT = '/sys/fs/cgroup';

/** The host as it was before the node started. */
export interface HostRecord {
  runDir: string;
  /** The process that started the node (informational: infra-up exits and leaves it running). */
  ownerPid: number;
  sysctls: Record<string, string>;
  /** True when setup added NODE_IP to `lo` (it was not there before). */
  addedNodeIp: boolean;
  /** Paths of CREATED_PATHS that did not exist. */
  absentPaths: string[];
}

const sysctlPath = (key: string): string => path.join('/proc/sys', ...key.split('.'));

function readSysctl(key: string): string | undefined {
  try {
    return fs.readFileSync(sysctlPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): boolean {
  try {
    run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

function hasNodeIp(): boolean {
  return run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo']).includes(` ${NODE_IP}/`);
}

/** Reads the host record, or undefined when no node has changed the host. */
export function readHostRecord(): HostRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(HOST_RECORD, 'utf8')) as HostRecord;
  } catch {
    return undefined;
  }
}

/**
 * Records the host's state and claims it for the node of `runDir`, then adds the node IP to `lo`. A record left by a
 * run that died first has its changes undone. A live owner is an error: the node IP, the bridge and the kubelet's
 * host paths exist once per host.
 */
export function claimHost(runDir: string): HostRecord {
  if (process.getuid?.() !== 0) throw new Error('the test node needs root (containerd, runc, the CNI bridge, iptables)');
  const old = readHostRecord();
  if (old) {
    // Live means the other run's processes still exist (an infra-up node outlives the process that started it).
    if (old.runDir !== runDir && pidsMentioning(old.runDir).length > 0) {
      throw new Error(`a test node already runs on this host (run dir ${old.runDir}, owner pid ${old.ownerPid}); ` +
        'stop it (`make infra-down`) or wait for its run to end');
    }
    restoreHost(old);
  }
  const sysctls: Record<string, string> = {};
  for (const key of SYSCTLS) {
    const value = readSysctl(key);
    if (value !== undefined) sysctls[key] = value;
  }
  const record: HostRecord = {
    runDir,
    ownerPid: process.pid,
    sysctls,
    addedNodeIp: !hasNodeIp(),
    absentPaths: CREATED_PATHS.filter((p) => !fs.existsSync(p)),
  };
  fs.writeFileSync(HOST_RECORD, `${JSON.stringify(record, null, 2)}\n`);
  if (record.addedNodeIp) run('ip', ['addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
  return record;
}

/** Pids of every process in a cgroup tree of every hierarchy. */
function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const line of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    } catch {
      // A vanished cgroup has no processes.
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const hierarchy of fs.readdirSync(CGROUP_ROOT)) walk(path.join(CGROUP_ROOT, hierarchy, name));
  return [...pids];
}

/** Pids whose command line mentions `marker` (and, when given, starts with `program`). */
export function pidsMentioning(marker: string, program = ''): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.startsWith(program) && cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Kills every container process (the pods' cgroups) and every containerd shim of `runDir`. The shims detach
 * into their own sessions, so stopping containerd's process group leaves them (and their containers) running.
 */
export function killContainers(runDir: string): void {
  killAll(CGROUP_NAMES.flatMap(cgroupPids));
  killAll(pidsMentioning(runDir, '/usr/bin/containerd-shim'));
}

/** Unmounts every mount under one of `prefixes`, deepest first (lazily: a busy mount is detached at once). */
function unmountUnder(prefixes: string[]): void {
  const points = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((p) => p && prefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)))
    // mountinfo escapes spaces and the like as octal; the kubelet's paths have none, but decode anyway.
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  for (const point of points.reverse()) tryRun('umount', ['-l', point]);
}

/** Removes a cgroup tree depth-first (a cgroup directory can only be removed once its children are). */
function removeCgroup(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // A process that outlived the kill keeps it; the next run's cleanup tries again.
  }
}

/** Removes the chains named KUBE-* from one iptables table, after deleting the rules that jump to them. */
function removeKubeChains(binary: string, table: string): void {
  let saved: string;
  try {
    saved = run(`${binary}-save`, ['-t', table]);
  } catch {
    return;
  }
  const lines = saved.split('\n');
  for (const line of lines) {
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (rule && !rule[1]!.startsWith('KUBE-') && / -j KUBE-\S+/.test(line)) {
      tryRun(binary, ['-t', table, '-D', rule[1]!, ...splitRule(rule[2]!)]);
    }
  }
  const chains = lines.map((l) => /^:(KUBE-\S+) /.exec(l)?.[1]).filter((c): c is string => !!c);
  for (const chain of chains) tryRun(binary, ['-t', table, '-F', chain]);
  for (const chain of chains) tryRun(binary, ['-t', table, '-X', chain]);
}

/** Splits an iptables-save rule into arguments, keeping quoted comments whole. */
function splitRule(rule: string): string[] {
  return (rule.match(/"[^"]*"|\S+/g) ?? []).map((arg) => arg.replace(/^"(.*)"$/, '$1'));
}

/**
 * Undoes everything the node did to the host, as far as `record` and the host itself tell: containers and
 * shims, mounts, network namespaces, cgroups, iptables chains, the bridge, sysctls, the node IP, and the paths it
 * created. Idempotent, and safe after a crash at any point.
 */
export function restoreHost(record: HostRecord): void {
  killContainers(record.runDir);
  unmountUnder([record.runDir, '/run/containerd', '/var/run/netns', '/run/netns', '/var/lib/kubelet']);
  for (const dir of ['/var/run/netns', '/run/netns']) {
    try {
      for (const ns of fs.readdirSync(dir)) if (ns.startsWith('cni-')) fs.rmSync(path.join(dir, ns), { force: true });
    } catch {
      // No netns directory.
    }
  }
  for (const hierarchy of fs.readdirSync(CGROUP_ROOT)) {
    for (const name of CGROUP_NAMES) removeCgroup(path.join(CGROUP_ROOT, hierarchy, name));
  }
  for (const binary of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) removeKubeChains(binary, table);
  }
  tryRun('ip', ['link', 'del', BRIDGE]);
  for (const [key, value] of Object.entries(record.sysctls)) {
    if (readSysctl(key) === value) continue;
    try {
      fs.writeFileSync(sysctlPath(key), value);
    } catch {
      // Read-only in this sandbox: nothing can have changed it either.
    }
  }
  if (record.addedNodeIp && hasNodeIp()) tryRun('ip', ['addr', 'del', `${NODE_IP}/32`, 'dev', 'lo']);
  for (const p of record.absentPaths) fs.rmSync(p, { recursive: true, force: true });
  fs.rmSync(HOST_RECORD, { force: true });
}

/** What is still changed on the host after a teardown; empty when it is as it was (the infra test asserts this). */
export function hostLeftovers(record: Pick<HostRecord, 'sysctls' | 'absentPaths' | 'addedNodeIp'>): string[] {
  const left: string[] = [];
  for (const [key, value] of Object.entries(record.sysctls)) {
    const now = readSysctl(key);
    if (now !== value) left.push(`sysctl ${key} is ${now}, was ${value}`);
  }
  for (const p of record.absentPaths) if (fs.existsSync(p)) left.push(`${p} exists`);
  if (record.addedNodeIp && hasNodeIp()) left.push(`${NODE_IP} is still on lo`);
  if (tryRun('ip', ['link', 'show', BRIDGE])) left.push(`link ${BRIDGE} exists`);
  for (const binary of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      try {
        const chains = run(`${binary}-save`, ['-t', table]).split('\n').filter((l) => /^:KUBE-/.test(l));
        if (chains.length) left.push(`${binary} ${table}: ${chains.map((c) => c.split(' ')[0]).join(' ')}`);
      } catch {
        // No such table here.
      }
    }
  }
  for (const hierarchy of fs.readdirSync(CGROUP_ROOT)) {
    for (const name of CGROUP_NAMES) if (fs.existsSync(path.join(CGROUP_ROOT, hierarchy, name))) left.push(`cgroup ${hierarchy}/${name}`);
  }
  return left;
}
