/**
 * A gateway's view of the call-status topic, the GlobalKTable pattern: every replica reads every partition of
 * the topic from the beginning (its own throwaway consumer group, committing nothing) into a local SQLite file,
 * and answers status reads from that file. The file is made afresh at each start, so a restarted gateway
 * rebuilds it from the topic; rows sit on disk, so memory does not grow with the number of calls. Calls this
 * gateway accepted are written to the file at once (record()), so it never answers 404 for its own 202s.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Consumer } from 'kafkajs';
import { decodeCallStatus, type CallStatus, type CallStatusReader } from '../../common/call-status.js';
import type { Logger } from '../../common/logger.js';
import { openCallStatusTable, type CallStatusTable } from '../shared/call-status-table.js';
import { createStatusWaiters } from '../shared/status-waiters.js';
import { definedOnly, intAtLeast, nonEmpty } from '../shared/validate.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';
import { statusTopicSpec, type StatusTopicOptions } from './status-topic.js';
import { ensureTopics } from './topics-admin.js';

/** Options of createKafkaCallStatusView. */
export interface KafkaCallStatusViewOptions extends KafkaConnectionOptions, StatusTopicOptions {
  /** Directory of the local file; the OS temp dir by default. */
  readonly dir?: string;
  /** Partitions of the status topic when this view creates it. */
  readonly partitions?: number;
  readonly maxWaitTimeMs?: number;
  /** How often rows older than the retention are deleted. */
  readonly sweepEveryMs?: number;
}

/** The view: a CallStatusReader plus its lifecycle and the accepting gateway's own writes. */
export interface KafkaCallStatusView extends CallStatusReader {
  /** Creates the topic when missing and starts reading it; resolves once consuming has started (or at once after close). Idempotent. */
  start(): Promise<void>;
  /** Stores a snapshot this process produced (the `queued` of a call it accepted). */
  record(status: CallStatus): void;
  /** Path of the local file. */
  readonly file: string;
  /** Stops reading, deletes the throwaway group and the file; idempotent. */
  close(): Promise<void>;
}

/** Creates the view; the file is opened now, Kafka is reached on start(). */
export function createKafkaCallStatusView(options: KafkaCallStatusViewOptions): KafkaCallStatusView {
  const o = { partitions: 6, maxWaitTimeMs: 500, sweepEveryMs: 60_000, ...definedOnly(options), topic: options.topic, retentionMs: options.retentionMs };
  nonEmpty('topic', o.topic);
  intAtLeast('retentionMs', o.retentionMs, 1_000);
  const logger: Logger = options.logger.child({ component: 'call-status-view', topic: o.topic });
  const dir = o.dir ?? os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  const id = crypto.randomUUID();
  const file = path.join(dir, `kfaas-call-status-${id}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // The file is a cache of the topic, rebuilt at every start: durability buys nothing here.
  db.pragma('synchronous = OFF');
  const table: CallStatusTable = openCallStatusTable(db);
  const putAll = db.transaction((statuses: CallStatus[]) => statuses.filter((s) => table.put(s)));
  const waiters = createStatusWaiters();
  const kafka = createKafkaClient(options);
  const admin = kafka.admin();
  const groupId = `kfaas-call-status-view.${id}`;
  let consumer: Consumer | undefined;
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

  const store = (statuses: CallStatus[]): void => {
    if (closing) return;
    for (const s of putAll(statuses)) waiters.notify(s);
  };

  async function run(): Promise<void> {
    await admin.connect();
    await ensureTopics(admin, [statusTopicSpec(o, o.partitions)]);
    const c = kafka.consumer({ groupId, maxWaitTimeInMs: o.maxWaitTimeMs, allowAutoTopicCreation: false });
    consumer = c;
    await c.connect();
    await c.subscribe({ topics: [o.topic], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const statuses: CallStatus[] = [];
        for (const message of batch.messages) {
          if (!message.value) continue;
          try {
            statuses.push(decodeCallStatus(message.value));
          } catch (err) {
            logger.warn('skipping a call-status record that cannot be decoded', { err, partition: batch.partition, offset: message.offset });
          }
        }
        store(statuses);
      },
    });
    logger.info('reading call status', { file });
  }

  const get = async (callId: string): Promise<CallStatus | undefined> => (closing ? undefined : table.get(callId));
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
    record: (status) => store([status]),
    get,
    waitForFinal: (callId, timeoutMs, signal) => waiters.wait(callId, () => get(callId), timeoutMs, signal),
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        await starting?.catch(() => undefined);
        await consumer?.disconnect().catch((err: unknown) => logger.warn('leaving the call-status group failed', { err }));
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
