/** Reports consumer lag per partition (log end offset minus committed offset) to the observer, periodically. */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import type { QueueObserver } from '../../common/queue.js';

/** Options of a lag reporter. */
export interface LagReporterOptions {
  readonly admin: Admin;
  readonly groupId: string;
  readonly topic: string;
  readonly intervalMs: number;
  readonly observer: QueueObserver;
  readonly logger: Logger;
}

/** Measures the lag of `groupId` on `topic` once and reports each partition. */
export async function reportLag(o: Omit<LagReporterOptions, 'intervalMs'>): Promise<void> {
  const [ends, committed] = await Promise.all([
    o.admin.fetchTopicOffsets(o.topic),
    o.admin.fetchOffsets({ groupId: o.groupId, topics: [o.topic] }),
  ]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  for (const end of ends) {
    const high = BigInt(end.high);
    const position = byPartition.get(end.partition) ?? -1n;
    const from = position >= 0n ? position : BigInt(end.low);
    o.observer.onLag?.(o.topic, end.partition, Number(high > from ? high - from : 0n));
  }
}

/** Starts reporting every `intervalMs`; returns a stop function. The timer never keeps the process alive. */
export function startLagReporter(o: LagReporterOptions): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reportLag(o)
      .catch((err: unknown) => o.logger.debug('measuring consumer lag failed', { err, topic: o.topic }))
      .finally(() => (running = false));
  }, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
