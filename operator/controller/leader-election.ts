/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: acquire when the lease is free or its
 * holder stopped renewing for `leaseDuration` (measured on our own clock from when we last saw it change, so
 * clock skew between nodes does not matter), renew every `retryPeriod`, and give leadership up when renewals
 * fail for `renewDeadline` (< leaseDuration, so the old leader stops before anyone else may start). On close,
 * the leader stops its work first, then releases the lease so a standby takes over at once.
 */
import type { Logger } from '../../common/logger.js';
import { isConflict, isAlreadyExists } from '../reconciler/api-error.js';
import { realTimers, type Timers } from '../../runtime/timers.js';

/** The fields of a Lease the election reads and writes. */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date;
  readonly renewTime: Date;
  readonly leaseTransitions: number;
  /** Optimistic-concurrency token of the stored object. */
  readonly resourceVersion?: string;
}

/** Reads and writes one Lease; writes fail with a 409 ApiError on races. */
export interface LeaseClient {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

/** Options of a leader elector. */
export interface LeaderElectorOptions {
  readonly client: LeaseClient;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Called on becoming leader. */
  readonly onStartedLeading: () => void | Promise<void>;
  /** Called on losing leadership or on close; must stop all work before it resolves. */
  readonly onStoppedLeading: () => void | Promise<void>;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly timers?: Timers;
}

/** Runs a leader election for one identity. */
export class LeaderElector {
  private readonly now: () => number;
  private readonly timers: Timers;
  private leading = false;
  private stopped = false;
  private observed: { record: LeaseRecord; at: number } | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: unknown;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    if (options.renewDeadlineMs >= options.leaseDurationMs) {
      throw new Error(`leader election: renewDeadline (${options.renewDeadlineMs}ms) must be shorter than leaseDuration (${options.leaseDurationMs}ms)`);
    }
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
  }

  /** True while this instance holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      // Only a throwing callback gets here; stay out of leadership rather than crash the process.
      this.leading = false;
      this.options.logger.error('leader election stopped', { identity: this.options.identity, err });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = this.timers.setTimeout(resolve, ms);
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if ((await this.tryAcquireOrRenew()) === 'ok') {
        this.leading = true;
        this.options.logger.info('became leader', { identity: this.options.identity });
        await this.options.onStartedLeading();
        await this.renewUntilLost();
        if (this.stopped) return;
        this.leading = false;
        this.options.logger.warn('lost leadership; stopping work', { identity: this.options.identity });
        await this.options.onStoppedLeading();
      }
      if (!this.stopped) await this.sleep(this.options.retryPeriodMs);
    }
  }

  private async renewUntilLost(): Promise<void> {
    let lastRenew = this.now();
    while (!this.stopped) {
      await this.sleep(this.options.retryPeriodMs);
      if (this.stopped) return;
      const attempt = await this.tryAcquireOrRenew();
      if (attempt === 'ok') {
        lastRenew = this.now();
      } else if (attempt === 'held-by-other' || this.now() - lastRenew >= this.options.renewDeadlineMs) {
        // Someone else holds it (so it expired on their clock): stop at once rather than wait out the deadline.
        return;
      }
    }
  }

  /** One attempt to take or keep the lease. */
  private async tryAcquireOrRenew(): Promise<'ok' | 'held-by-other' | 'failed'> {
    const { client, identity } = this.options;
    const now = this.now();
    const fresh: Omit<LeaseRecord, 'resourceVersion'> = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      acquireTime: new Date(now),
      renewTime: new Date(now),
      leaseTransitions: 0,
    };
    try {
      const existing = await client.get();
      if (!existing) {
        this.observed = { record: await client.create(fresh), at: now };
        return 'ok';
      }
      if (!this.observed || this.observed.record.resourceVersion !== existing.resourceVersion) {
        this.observed = { record: existing, at: now };
      }
      const heldByOther = existing.holderIdentity !== '' && existing.holderIdentity !== identity;
      if (heldByOther && this.observed.at + existing.leaseDurationSeconds * 1000 > now) return 'held-by-other';
      const mine = existing.holderIdentity === identity;
      const next: LeaseRecord = {
        ...fresh,
        acquireTime: mine ? existing.acquireTime : fresh.acquireTime,
        leaseTransitions: mine ? existing.leaseTransitions : existing.leaseTransitions + 1,
        resourceVersion: existing.resourceVersion,
      };
      this.observed = { record: await client.update(next), at: now };
      return 'ok';
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) {
        this.options.logger.warn('lease request failed', { identity, err });
      }
      return 'failed';
    }
  }

  /** Stops campaigning; a leader stops its work, then releases the lease. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      if (this.sleepTimer !== undefined) this.timers.clearTimeout(this.sleepTimer);
      this.wake?.();
      await this.loop;
      if (!this.leading) return;
      this.leading = false;
      await this.options.onStoppedLeading();
      await this.release();
    })();
    return this.closing;
  }

  private async release(): Promise<void> {
    const record = this.observed?.record;
    if (!record || record.holderIdentity !== this.options.identity) return;
    const now = new Date(this.now());
    try {
      // An empty holder with a 1 s duration is client-go's release: standbys take over at their next retry.
      await this.options.client.update({ ...record, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now });
      this.options.logger.info('released leadership', { identity: this.options.identity });
    } catch (err) {
      this.options.logger.warn('could not release the lease; a standby takes over when it expires', { err });
    }
  }
}
