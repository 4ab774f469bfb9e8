import winston from 'winston';
import { ApiError } from '../reconciler/api-error.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { LeaderElector, type LeaseClient, type LeaseRecord } from './leader-election.js';

/** One Lease in memory with resourceVersion checks; `down` makes every call fail like an unreachable API. */
class MemoryLease {
  record: LeaseRecord | undefined;
  private rv = 0;
  readonly down = new Set<string>();

  clientFor(identity: string): LeaseClient {
    const check = () => {
      if (this.down.has(identity)) throw new ApiError(503, 'ServiceUnavailable', 'apiserver unreachable');
    };
    return {
      get: async () => {
        check();
        return this.record ? { ...this.record } : undefined;
      },
      create: async (record) => {
        check();
        if (this.record) throw new ApiError(409, 'AlreadyExists', 'exists');
        this.record = { ...record, resourceVersion: String(++this.rv) };
        return { ...this.record };
      },
      update: async (record) => {
        check();
        if (!this.record || this.record.resourceVersion !== record.resourceVersion) throw new ApiError(409, 'Conflict', 'modified');
        this.record = { ...record, resourceVersion: String(++this.rv) };
        return { ...this.record };
      },
    };
  }
}

const logger = winston.createLogger({ silent: true });

function candidate(lease: MemoryLease, identity: string, log: string[]) {
  const elector = new LeaderElector({
    client: lease.clientFor(identity),
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 50,
    logger,
    onStartedLeading: () => {
      log.push(`${identity} start`);
    },
    onStoppedLeading: () => {
      log.push(`${identity} stop`);
    },
  });
  return elector;
}

describe('LeaderElector', () => {
  it('elects exactly one leader and hands over on close', async () => {
    const lease = new MemoryLease();
    const log: string[] = [];
    const a = candidate(lease, 'a', log);
    const b = candidate(lease, 'b', log);
    a.start();
    await waitFor(() => a.isLeader, { timeoutMs: 2000, intervalMs: 10, description: 'a leads' });
    b.start();
    // b keeps retrying for longer than a lease duration while a renews: it must never lead.
    const until = Date.now() + 1300;
    while (Date.now() < until) {
      expect(b.isLeader).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lease.record?.holderIdentity).toBe('a');
    const closedAt = Date.now();
    await a.close();
    await a.close();
    expect(log).toEqual(['a start', 'a stop']);
    await waitFor(() => b.isLeader, { timeoutMs: 2000, intervalMs: 10, description: 'b leads' });
    // Released: b did not wait for a lease duration.
    expect(Date.now() - closedAt).toBeLessThan(900);
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.close();
    expect(log).toEqual(['a start', 'a stop', 'b start', 'b stop']);
    expect(lease.record?.holderIdentity).toBe('');
  });

  it('a leader that cannot renew stops before a standby takes over', async () => {
    const lease = new MemoryLease();
    const events: Array<{ what: string; at: number }> = [];
    const log: string[] = [];
    const a = candidate(lease, 'a', log);
    const b = candidate(lease, 'b', log);
    a.start();
    await waitFor(() => a.isLeader, { timeoutMs: 2000, intervalMs: 10, description: 'a leads' });
    b.start();
    lease.down.add('a');
    const cutAt = Date.now();
    await waitFor(() => !a.isLeader, { timeoutMs: 2000, intervalMs: 10, description: 'a steps down' });
    events.push({ what: 'a stopped', at: Date.now() });
    await waitFor(() => b.isLeader, { timeoutMs: 3000, intervalMs: 10, description: 'b takes over' });
    events.push({ what: 'b started', at: Date.now() });
    expect(log).toEqual(['a start', 'a stop', 'b start']);
    expect(events[0]!.at - cutAt).toBeGreaterThanOrEqual(550);
    expect(events[1]!.at).toBeGreaterThan(events[0]!.at);
    await Promise.all([a.close(), b.close()]);
  });

  it('takes over a lease whose holder vanished without releasing it', async () => {
    const lease = new MemoryLease();
    const now = new Date();
    lease.record = { holderIdentity: 'ghost', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: 4, resourceVersion: '7' };
    const log: string[] = [];
    const a = candidate(lease, 'a', log);
    const started = Date.now();
    a.start();
    await waitFor(() => a.isLeader, { timeoutMs: 3000, intervalMs: 10, description: 'a leads' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(lease.record).toMatchObject({ holderIdentity: 'a', leaseTransitions: 5 });
    await a.close();
  });

  it('refuses a renew deadline that is not shorter than the lease', () => {
    expect(
      () =>
        new LeaderElector({
          client: new MemoryLease().clientFor('x'),
          identity: 'x',
          leaseDurationMs: 1000,
          renewDeadlineMs: 1000,
          retryPeriodMs: 100,
          logger,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => undefined,
        }),
    ).toThrow('renewDeadline (1000ms) must be shorter than leaseDuration (1000ms)');
  });
});
