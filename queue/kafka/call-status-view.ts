/**
 * A gateway's view of the call-status topic, the GlobalKTable pattern: every replica reads every partition of
 * the topic from the beginning (its own throwaway consumer group, committing nothing) into a local SQLite file,
 * and answers status reads from that file. The file is made afresh at each start, so a restarted gateway
 * rebuilds it from the topic; rows sit on disk, so memory does not grow with the number of calls. Calls this
 * gateway accepted are readable at once (record()), so it never answers 404 for its own 202s: their `queued`
 * snapshots wait in memory until read back from the topic (own-snapshots.ts), and are written to the file then,
 * with the rest of their fetch in one transaction, instead of one transaction per accepted call.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Consumer } from 'kafkajs';
import {
  BACKLOG_COUNT_LIMIT,
  CANCELLABLE_STATES,
  cancelledStatus,
  decodeCallStatus,
  encodeCallStatus,
  supersedes,
  type CallCanceller,
  type CallStatus,
  type CallStatusReader,
  type CancelOutcome,
} from '../../common/call-status.js';
import { backoffDelayMs } from '../../common/backoff.js';
import { KfaasError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { openCallStatusTable, type CallStatusTable } from '../shared/call-status-table.js';
import { createStatusWaiters } from '../shared/status-waiters.js';
import { definedOnly } from '../../common/env.js';
import { settlesWithin } from '../../runtime/deadline.js';
import { intAtLeast, nonEmpty } from '../shared/validate.js';
import { createBatchingProducer, type BatchingProducer } from './batching-producer.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';
import { callIdOfSnapshot, snapshotRanges, STATUS_TOPIC_PARTITIONS, statusRecord, statusTopicSpec, type StatusTopicOptions } from './status-topic.js';
import { ensureTopics, TOPIC_READY_BACKOFF } from './topics-admin.js';
import { createOwnSnapshots } from './own-snapshots.js';
import { createFetchPacer, FETCH_PACER_DEFAULTS } from './fetch-pacer.js';

/** Options of createKafkaCallStatusView. */
export interface KafkaCallStatusViewOptions extends KafkaConnectionOptions, StatusTopicOptions {
  /** Directory of the local file; the OS temp dir by default. */
  readonly dir?: string;
  /** Partitions of the status topic when this view creates it. */
  readonly partitions?: number;
  readonly maxWaitTimeMs?: number;
  /** How often rows older than the retention are deleted. */
  readonly sweepEveryMs?: number;
  /** Enables cancel(): cancelled snapshots also go to this topic, which workers read before running a call. */
  readonly cancelTopic?: string;
  /** Longest start() waits to catch up with the topic's end before serving anyway. */
  readonly catchUpTimeoutMs?: number;
  /** How long an own snapshot is held in memory waiting to be read back before it is written to the file. */
  readonly holdMs?: number;
  /** Most own snapshots held at once; above it, all are written to the file. */
  readonly maxHeld?: number;
  /** Under load, the least time between two fetches of the topic (fetch-pacer.ts); 0 fetches at once always. */
  readonly fetchPaceMs?: number;
  /** Record bytes per second above which fetches are paced. */
  readonly paceAboveBytesPerSecond?: number;
}

/** Defaults of the view options. */
export const VIEW_DEFAULTS = Object.freeze({
  partitions: STATUS_TOPIC_PARTITIONS,
  maxWaitTimeMs: 500,
  sweepEveryMs: 60_000,
  catchUpTimeoutMs: 30_000,
  holdMs: 2_000,
  // About 1 KiB each: at most ~10 MiB, reached only when the topic is not read back for a while.
  maxHeld: 10_000,
  fetchPaceMs: FETCH_PACER_DEFAULTS.intervalMs,
  paceAboveBytesPerSecond: FETCH_PACER_DEFAULTS.aboveBytesPerSecond,
});

/** A record read from the status topic, not yet stored. */
interface FetchedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly partition: number;
  readonly offset: string;
}

/** A snapshot to store, with its encoded bytes when they are at hand. */
interface Snapshot {
  readonly status: CallStatus;
  readonly snapshot?: Buffer;
}

/** The view: a CallStatusReader (and, with a cancel topic, a CallCanceller) plus its lifecycle. */
export interface KafkaCallStatusView extends CallStatusReader, CallCanceller {
  /**
   * Creates the topics when missing and reads the status topic; resolves once it has read what the topic held
   * at the start (or after catchUpTimeoutMs, or at once after close). Idempotent.
   */
  start(): Promise<void>;
  /** Stores a snapshot this process produced (the `queued` of a call it accepted), whose record value is `value`. */
  record(status: CallStatus, value?: Buffer): void;
  /** The stored snapshot, read synchronously (own snapshots still held in memory, else the local file). */
  peek(callId: string): CallStatus | undefined;
  /** Path of the local file. */
  readonly file: string;
  /** Stops reading, deletes the throwaway group and the file; idempotent. */
  close(): Promise<void>;
}

/** A batch's delay stands for the view's lag this long; with no newer batch the topic is quiet and read. */
const LAG_MEMORY_MS = 5_000;

/** Creates the view; the file is opened now, Kafka is reached on start(). */
export function createKafkaCallStatusView(options: KafkaCallStatusViewOptions): KafkaCallStatusView {
  const o = { ...VIEW_DEFAULTS, ...definedOnly(options), topic: options.topic, retentionMs: options.retentionMs };
  nonEmpty('topic', o.topic);
  intAtLeast('retentionMs', o.retentionMs, 1_000);
  intAtLeast('holdMs', o.holdMs, 1);
  intAtLeast('maxHeld', o.maxHeld, 1);
  intAtLeast('fetchPaceMs', o.fetchPaceMs, 0);
  intAtLeast('paceAboveBytesPerSecond', o.paceAboveBytesPerSecond, 0);
  const logger: Logger = options.logger.child({ component: 'call-status-view', topic: o.topic });
  const dir = o.dir ?? os.tmpdir();
  const id = crypto.randomUUID();
  const file = path.join(dir, `kfaas-call-status-${id}.db`);
  let db: Database.Database;
  try {
    fs.mkdirSync(dir, { recursive: true });
    db = new Database(file);
    // The file is a cache of the topic, rebuilt at every start: durability buys nothing here. A rollback journal
    // kept in memory (rather than WAL) writes each page once, not to the log and again at the checkpoint: 25-40%
    // less CPU per stored row, measured with the table's schema and transactions of 40 rows (a fetch's worth).
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
  } catch (err) {
    throw new Error(`cannot create the call-status file ${file} (set KFAAS_STATUS_DIR to a writable directory): ${(err as Error).message}`, { cause: err });
  }
  const table: CallStatusTable = openCallStatusTable(db);
  const putAll = db.transaction((items: readonly Snapshot[]) => table.putMany(items));
  const own = createOwnSnapshots();
  const waiters = createStatusWaiters();
  const kafka = createKafkaClient(options);
  const admin = kafka.admin();
  const groupId = `kfaas-call-status-view.${id}`;
  let consumer: Consumer | undefined;
  let producer: BatchingProducer | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const sweep = setInterval(() => {
    try {
      table.sweep(Date.now() - o.retentionMs, true);
    } catch (err) {
      logger.warn('sweeping expired call status failed', { err });
    }
  }, o.sweepEveryMs);
  sweep.unref();

  const store = (items: readonly Snapshot[]): void => {
    if (closing || items.length === 0) return;
    putAll(items);
    // A snapshot the table refused (it holds a later one) changes nothing below: the held snapshot it
    // supersedes is older than the row too, and a woken waiter reads the row again.
    for (const { status: s } of items) {
      const held = own.get(s.callId);
      if (held && supersedes(s, held)) own.release(s.callId);
      waiters.notify(s);
    }
  };
  // Own snapshots the topic did not give back in time go to the file, so memory stays bounded.
  const storeUnreadOwn = (cutoff: number): void => store(own.takeOlderThan(cutoff).map((status) => ({ status })));
  const holdCheck = setInterval(() => storeUnreadOwn(Date.now() - o.holdMs), o.holdMs);
  holdCheck.unref();

  // Records of the batches of one fetch (kafkajs hands them over one partition at a time), stored together in one
  // transaction on the next turn of the event loop.
  let fetched: FetchedRecord[] = [];
  let flushQueued = false;
  const storeFetched = (): void => {
    flushQueued = false;
    const records = fetched;
    fetched = [];
    const items: Snapshot[] = [];
    for (const { key, value: recordValue, partition, offset } of records) {
      const ranges = snapshotRanges(key, recordValue);
      for (let r = 0; r < ranges.length; r += 2) {
        const start = ranges[r] as number;
        const end = ranges[r + 1] as number;
        // Our own queued, read back: the same bytes as the held snapshot, so there is nothing to decode. The
        // held entry is released only here, as the row is written, so a read in between still finds the call.
        const callId = own.size > 0 ? callIdOfSnapshot(recordValue, start, end) : undefined;
        const mine = callId === undefined ? undefined : own.readBack(callId, recordValue, start, end);
        if (mine) {
          items.push({ status: mine.status, snapshot: mine.value });
          continue;
        }
        const value = start === 0 && end === recordValue.length ? recordValue : recordValue.subarray(start, end);
        try {
          items.push({ status: decodeCallStatus(value), snapshot: value });
        } catch (err) {
          logger.warn('skipping a call-status snapshot that cannot be decoded', { err, partition, offset });
        }
      }
    }
    store(items);
  };

  // The autoscaler's bound on stale signals needs to know how far behind the topic this view runs: the delay
  // from a record's produce time to its being stored here, as of the latest batch (a quiet topic is up to date).
  let delay = { ms: 0, at: 0 };
  const noteDelay = (timestamp: string | undefined): void => {
    const at = Date.now();
    if (timestamp !== undefined) delay = { ms: Math.max(0, at - Number(timestamp)), at };
  };
  const lagMs = (): number => (Date.now() - delay.at < LAG_MEMORY_MS ? delay.ms : 0);

  /** The topic's end offsets; a topic created a moment ago may need a few tries before its leaders answer. */
  async function endOffsets(): Promise<Array<{ partition: number; high: string; low: string }>> {
    for (let tries = 1; ; tries += 1) {
      try {
        return await admin.fetchTopicOffsets(o.topic);
      } catch (err) {
        if (tries >= 50 || !(err as { retriable?: boolean }).retriable) throw err;
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(tries - 1, TOPIC_READY_BACKOFF)));
      }
    }
  }

  async function run(): Promise<void> {
    await admin.connect();
    await ensureTopics(admin, [
      statusTopicSpec(o, o.partitions),
      ...(o.cancelTopic ? [statusTopicSpec({ topic: o.cancelTopic, retentionMs: o.retentionMs }, o.partitions)] : []),
    ]);
    // Where the topic ended when we started: served reads wait until the view has read that far.
    const ends = new Map(
      (await endOffsets()).filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]),
    );
    let caughtUp!: () => void;
    const reached = new Promise<void>((resolve) => (caughtUp = resolve));
    if (ends.size === 0) caughtUp();
    const c = kafka.consumer({ groupId, maxWaitTimeInMs: o.maxWaitTimeMs, allowAutoTopicCreation: false });
    consumer = c;
    // Pacing is decided once per fetch (a fetch hands over one batch per partition).
    const pacer = createFetchPacer({ intervalMs: o.fetchPaceMs, aboveBytesPerSecond: o.paceAboveBytesPerSecond });
    let fetches = 0;
    let pacedFetch = 0;
    c.on(c.events.FETCH_START, () => {
      fetches += 1;
    });
    await c.connect();
    await c.subscribe({ topics: [o.topic], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        let bytes = 0;
        for (const message of batch.messages) {
          if (!message.value) continue;
          fetched.push({ key: message.key, value: message.value, partition: batch.partition, offset: message.offset });
          bytes += message.value.length;
        }
        const now = Date.now();
        pacer.record(now, bytes);
        if (!flushQueued) {
          flushQueued = true;
          setImmediate(storeFetched);
        }
        noteDelay(batch.messages[batch.messages.length - 1]?.timestamp);
        const end = ends.get(batch.partition);
        if (end !== undefined && BigInt(batch.lastOffset()) >= end) {
          ends.delete(batch.partition);
          if (ends.size === 0) {
            storeFetched();
            caughtUp();
          }
        }
        // kafkajs fetches again only once this returns: holding it lets records pile up (stored meanwhile).
        // Not while catching up: a rebuild reads the topic as fast as it can.
        if (pacedFetch !== fetches && ends.size === 0 && !closing) {
          pacedFetch = fetches;
          const wait = pacer.delay(now);
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      },
    });
    if (!(await settlesWithin(reached, o.catchUpTimeoutMs))) {
      logger.warn('the call-status topic was not read to its end in time; serving what is read so far', { partitions: [...ends.keys()] });
    }
    logger.info('reading call status', { file });
  }

  async function cancel(callId: string): Promise<CancelOutcome | undefined> {
    const cancelTopic = o.cancelTopic;
    if (!cancelTopic) throw new KfaasError('NOT_IMPLEMENTED', 'cancelling calls is not configured on this gateway');
    const current = read(callId);
    if (!current) return undefined;
    if (!CANCELLABLE_STATES.has(current.state)) return { cancelled: false, status: current };
    const status = cancelledStatus(current, Date.now());
    producer ??= createBatchingProducer(kafka);
    // Both acknowledged before the answer: workers read the cancel topic, readers the status topic.
    await Promise.all([producer.send(statusRecord(cancelTopic, status)).done, producer.send(statusRecord(o.topic, status)).done]);
    store([{ status }]);
    return { cancelled: true, status };
  }

  const read = (callId: string): CallStatus | undefined => (closing ? undefined : (own.get(callId) ?? table.get(callId)));
  const get = async (callId: string): Promise<CallStatus | undefined> => read(callId);
  return {
    file,
    start() {
      if (closing) return Promise.resolve();
      starting ??= run().catch((err: unknown) => {
        starting = undefined;
        throw err;
      });
      return starting;
    },
    record(status, value) {
      if (closing) return;
      own.hold(status, value ?? encodeCallStatus(status), Date.now());
      if (own.size > o.maxHeld) storeUnreadOwn(Infinity);
    },
    peek: read,
    cancel,
    get,
    waitForFinal: (callId, timeoutMs, signal) => waiters.wait(callId, () => get(callId), timeoutMs, signal),
    backlog: async () => {
      if (closing) return { functions: [], truncated: false };
      // The counts come from the file: calls just accepted here must be in it.
      storeUnreadOwn(Infinity);
      return { ...table.backlog(BACKLOG_COUNT_LIMIT), lagMs: lagMs() };
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        clearInterval(holdCheck);
        await starting?.catch(() => undefined);
        await consumer?.disconnect().catch((err: unknown) => logger.warn('leaving the call-status group failed', { err }));
        await producer?.close(5_000);
        await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        db.close();
        fs.rmSync(file, { force: true });
        fs.rmSync(`${file}-wal`, { force: true });
        fs.rmSync(`${file}-shm`, { force: true });
      })();
      return closing;
    },
  };
}
