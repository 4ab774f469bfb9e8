/**
 * The fetch loop of the Kafka source: one kafkajs consumer in the invocation topic's group. `eachBatch` only
 * admits records (waits on the admission gate for room, tracks the offset, hands the record on) and returns, so
 * kafkajs keeps fetching and heartbeating while calls run. On each join it moves the offset tracker to the new
 * assignment, and the sticky assigner keeps partitions with calls in flight with this member.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import type { AdmissionGate } from './admission-gate.js';
import type { DoneMarksSeeder } from './committed-marks.js';
import type { OffsetTracker, PartitionProgress } from './offset-tracker.js';
import { stickyAssigner } from './sticky-assigner.js';

/** What a fetch loop needs. */
export interface FetchLoopOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly tracker: OffsetTracker;
  /** Seeds partitions new to this member with what their previous owner finished out of order. */
  readonly seeder: DoneMarksSeeder;
  readonly gate: AdmissionGate;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  /** True once the source is closing: admit nothing more, and keep fetching paused. */
  readonly stopping: () => boolean;
  /** Takes a record whose offset was just tracked. */
  readonly admit: (progress: PartitionProgress, message: KafkaMessage) => void;
  /** Called after each join with this member's id (the new assignment may make offsets committable). */
  readonly joined: (memberId: string) => void;
  readonly logger: Logger;
}

/** A fetch loop; its consumer is created at once, and joins on run(). */
export interface FetchLoop {
  readonly consumer: Consumer;
  /** Connects, subscribes and starts fetching. */
  run(): Promise<void>;
  /** Stops fetching for close(); kafkajs forgets a pause when it restarts a crashed consumer, so a rejoin repeats it. */
  stopFetching(): void;
  /** True once the consumer crashed and kafkajs will not restart it. */
  crashed(): boolean;
}

/** Creates the fetch loop. */
export function createFetchLoop(o: FetchLoopOptions): FetchLoop {
  const { topic, groupId, tracker, logger } = o;
  let owned: number[] = [];
  let crashed = false;
  const consumer = o.kafka.consumer({
    groupId,
    partitionAssigners: [stickyAssigner(() => ({ busy: tracker.busyPartitions(), owned: { [topic]: owned } }))],
    sessionTimeout: o.sessionTimeoutMs,
    rebalanceTimeout: o.rebalanceTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: o.maxWaitTimeMs,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(payload.memberAssignment[topic] ?? [], payload.memberId));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      logger.warn('Kafka consumer crashed; kafkajs restarts it', { err: payload.error });
    } else if (!o.stopping()) {
      crashed = true;
      logger.error('Kafka consumer crashed and will not restart', { err: payload.error });
    }
  });

  /** Tracks the new assignment; calls in flight on a partition that moved away may run again there. */
  function onGroupJoin(partitions: number[], memberId: string): void {
    owned = partitions;
    const { revoked, fresh } = tracker.reassign(owned.map((partition) => ({ topic, partition })));
    o.seeder.seed(fresh);
    const busy = revoked.filter((p) => p.pending > 0);
    if (busy.length > 0) {
      logger.warn('partitions with calls in flight were reassigned; their calls may run again elsewhere', {
        partitions: busy.map((p) => p.partition),
      });
    }
    logger.info('joined the consumer group', { groupId, partitions: owned });
    if (o.stopping()) stopFetching();
    o.joined(memberId);
  }

  /** Admits each record once there is room, and returns; the calls run on after it. */
  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const progress = tracker.partition(batch.topic, batch.partition);
    await o.seeder.ready(progress);
    for (const message of batch.messages) {
      while (!(await o.gate.waitForRoom(o.heartbeatIntervalMs))) {
        if (!isRunning() || isStale() || o.stopping()) return;
        try {
          await heartbeat();
        } catch (err) {
          // A rebalance: return so kafkajs rejoins now; the unresolved rest of the batch is fetched again.
          logger.debug('heartbeat while waiting for room failed; leaving the batch', { err });
          return;
        }
      }
      if (!isRunning() || isStale() || o.stopping() || !tracker.isCurrent(progress)) return;
      if (progress.track(message.offset)) o.admit(progress, message);
      resolveOffset(message.offset);
    }
  }

  function stopFetching(): void {
    try {
      consumer.pause([{ topic }]);
    } catch (err) {
      // Between a crash and kafkajs's restart there is no consumer group to pause.
      logger.debug('pausing fetches failed', { err });
    }
  }

  return {
    consumer,
    async run() {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },
    stopFetching,
    crashed: () => crashed,
  };
}
