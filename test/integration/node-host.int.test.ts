// The test node's host bookkeeping on the real host (root): a run that died with the host changed the way a
// kubelet and the CNI bridge change it is undone by the next claim, and the next teardown leaves nothing behind.
// The e2e suite runs the real node; this suite proves the crash path, which a passing e2e run never takes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BRIDGE, claimHost, HOST_RECORD, hostLeftovers, NODE_IP, readHostRecord, restoreHost, type HostRecord,
} from '../harness/node-host.js';

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const sysctl = (key: string): string => fs.readFileSync(path.join('/proc/sys', ...key.split('.')), 'utf8').trim();
const setSysctl = (key: string, value: string): void => fs.writeFileSync(path.join('/proc/sys', ...key.split('.')), value);

describe('test node host restore', () => {
  const cgroup = '/sys/fs/cgroup/pids/kubepods/besteffort';

  beforeAll(() => {
    const live = readHostRecord();
    if (live && fs.existsSync(live.runDir)) {
      throw new Error(`a test node runs on this host (${live.runDir}); this suite changes the same host state: stop it first (make infra-down)`);
    }
  });

  it('undoes a crashed run\'s changes at the next claim, and the next teardown leaves the host as it was', () => {
    const before = { overcommit: sysctl('vm.overcommit_memory'), forward: sysctl('net.ipv4.ip_forward') };
    // A run that claimed the host, changed it the way the node does, and died: its run dir is gone.
    const crashedRunDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-run-crashed-'));
    const crashed: HostRecord = claimHost(crashedRunDir);
    const original = { sysctls: crashed.sysctls, absentPaths: crashed.absentPaths, addedNodeIp: crashed.addedNodeIp };
    setSysctl('vm.overcommit_memory', '1');
    setSysctl('net.ipv4.ip_forward', '1');
    sh('iptables', ['-N', 'KUBE-FIREWALL']);
    sh('iptables', ['-A', 'INPUT', '-j', 'KUBE-FIREWALL']);
    sh('iptables', ['-t', 'nat', '-N', 'KUBE-KUBELET-CANARY']);
    sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    fs.mkdirSync(cgroup, { recursive: true });
    fs.mkdirSync('/var/log/pods/openfaas-fn_x', { recursive: true });
    fs.rmSync(crashedRunDir, { recursive: true });
    expect(hostLeftovers(original).length).toBeGreaterThanOrEqual(6);

    // The next run's claim restores first, then records the host as it really was.
    const next = claimHost(fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-run-next-')));
    try {
      expect(next.sysctls).toMatchObject({ 'vm.overcommit_memory': before.overcommit, 'net.ipv4.ip_forward': before.forward });
      expect(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'])).toContain(` ${NODE_IP}/`);
      expect(hostLeftovers({ ...original, addedNodeIp: false })).toEqual([]);
    } finally {
      restoreHost(next);
      fs.rmSync(next.runDir, { recursive: true, force: true });
    }
    expect(hostLeftovers(original)).toEqual([]);
    expect(fs.existsSync(HOST_RECORD)).toBe(false);
    expect(fs.existsSync(cgroup)).toBe(false);
  });
});
