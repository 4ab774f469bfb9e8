/**
 * The embedded (SQLite) queue for single-process setups (`kfaas up`): one object that is the InvocationQueue,
 * the DeadLetterReader and the factory of InvocationSources, all sharing one database file in `dataDir`.
 */
import { EventEmitter } from 'node:events';
import type { CallCanceller, CallStatusReader } from '../../common/call-status.js';
import type { Logger } from '../../common/logger.js';
import type { DeadLetterReader, InvocationQueue, InvocationSource } from '../../common/queue.js';
import { DEFAULT_INVOCATIONS_TOPIC } from '../../common/topics.js';
import { createEmbeddedCallStatus, DEFAULT_STATUS_RETENTION_MS } from './call-status.js';
import { createEmbeddedDeadLetterReader } from './dead-letter-reader.js';
import { createEmbeddedInvocationQueue } from './invocation-queue.js';
import { createEmbeddedSource, type EmbeddedSourceOptions } from './invocation-source.js';
import { openStore } from './store.js';

export { DB_FILE } from './store.js';
export { EMBEDDED_SOURCE_DEFAULTS, type EmbeddedSourceOptions } from './invocation-source.js';

/** Options of createEmbeddedQueue. */
export interface EmbeddedQueueOptions {
  /** Directory of the database file (created when missing). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Queue name of calls without a dedicated queue (the Kafka topic name, for parity). */
  readonly topicBase?: string;
  /** Retry-After of a QUEUE_UNAVAILABLE rejection. */
  readonly retryAfterSeconds?: number;
  /** How long a finished call's status stays readable; 24 h by default. */
  readonly statusRetentionMs?: number;
}

/** The embedded queue: enqueue, list dead letters, read call status, and create sources over the same file. */
export interface EmbeddedQueue extends InvocationQueue, DeadLetterReader, CallStatusReader, CallCanceller {
  /** Creates a source over one queue (`options.topic`, the topicBase by default); start() it with a handler. */
  source(options?: EmbeddedSourceOptions): InvocationSource;
  /** Path of the database file. */
  readonly file: string;
}

/** Opens the database (synchronously; throws naming the file when it cannot) and returns the queue. */
export function createEmbeddedQueue(options: EmbeddedQueueOptions): EmbeddedQueue {
  const logger = options.logger.child({ component: 'embedded-queue' });
  const store = openStore(options.dataDir);
  const notifier = new EventEmitter();
  // One listener per source; a process with many dedicated queues has many sources.
  notifier.setMaxListeners(0);
  const topicBase = options.topicBase ?? DEFAULT_INVOCATIONS_TOPIC;
  const sources = new Set<InvocationSource>();
  let closing: Promise<void> | undefined;
  const queue = createEmbeddedInvocationQueue({
    store,
    notifier,
    topicBase,
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    isClosed: () => closing !== undefined,
  });
  const reader = createEmbeddedDeadLetterReader(store, logger);
  const statuses = createEmbeddedCallStatus(store, notifier, options.statusRetentionMs ?? DEFAULT_STATUS_RETENTION_MS);
  logger.info('embedded queue opened', { file: store.file });
  return {
    file: store.file,
    enqueue: queue.enqueue,
    list: reader.list,
    get: statuses.get,
    waitForFinal: statuses.waitForFinal,
    backlog: statuses.backlog,
    cancel: statuses.cancel,
    source(sourceOptions = {}) {
      if (closing) throw new Error('the embedded queue is closed');
      const source = createEmbeddedSource({ store, notifier, topic: topicBase, logger }, sourceOptions);
      sources.add(source);
      return source;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...sources].map((s) => s.close()));
        statuses.close();
        store.close();
        logger.info('embedded queue closed');
      })();
      return closing;
    },
  };
}
