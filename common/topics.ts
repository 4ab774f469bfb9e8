/** Kafka topic, record-key and consumer-group naming, shared by gateway (producer) and worker (consumer). */

/** Default topic of async calls for functions without a dedicated queue. */
export const DEFAULT_INVOCATIONS_TOPIC = 'kfaas.invocations';
/** Default dead-letter topic. */
export const DEFAULT_DEAD_LETTER_TOPIC = 'kfaas.dead-letter';
/** Default compacted topic of call status snapshots, keyed by call id. */
export const DEFAULT_STATUS_TOPIC = 'kfaas.call-status';
/** Default compacted topic of cancelled calls, keyed by call id; workers read it before running a call. */
export const DEFAULT_CANCEL_TOPIC = 'kfaas.call-cancel';

const QUEUE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns a problem with a queue name, or undefined when it is a valid DNS-1123 label. */
export function queueNameProblem(queue: string): string | undefined {
  if (queue.length > 63 || !QUEUE_NAME.test(queue)) {
    return `queue name ${JSON.stringify(queue)} must be a DNS-1123 label of at most 63 characters`;
  }
  return undefined;
}

/** Topic of a function's calls: its dedicated queue's topic, or the shared one. */
export function invocationTopic(queue: string | undefined, base: string = DEFAULT_INVOCATIONS_TOPIC): string {
  return queue ? `kfaas.queue.${queue}` : base;
}

/** Topic that holds delayed retries of an invocation topic, so a waiting retry never blocks its partition. */
export function retryTopic(topic: string): string {
  return `${topic}.retry`;
}

/**
 * Waits of at least the first tier (delayed calls, long retry backoffs) are not held in a worker's memory: they
 * move through `<topic>.delay-<tier>` topics, each read in order (every record of a tier waits the same time),
 * and reach the retry topic once less than the first tier is left. Ascending.
 */
export const DELAY_TIERS_MS: readonly number[] = Object.freeze([60_000, 600_000, 3_600_000]);

/** The topic of one delay tier of an invocation topic, e.g. `kfaas.invocations.delay-10m`. */
export function delayTierTopic(topic: string, tierMs: number): string {
  const label =
    tierMs % 3_600_000 === 0 ? `${tierMs / 3_600_000}h` : tierMs % 60_000 === 0 ? `${tierMs / 60_000}m` : tierMs % 1_000 === 0 ? `${tierMs / 1_000}s` : `${tierMs}ms`;
  return `${topic}.delay-${label}`;
}

/** The tier a wait of `remainingMs` goes to: the longest one not above it; undefined below the first. */
export function delayTierFor(tiersMs: readonly number[], remainingMs: number): number | undefined {
  let tier: number | undefined;
  for (const t of tiersMs) if (t <= remainingMs) tier = t;
  return tier;
}

/** Consumer group of the workers of one invocation topic. */
export function consumerGroup(topic: string): string {
  return `kfaas-worker.${topic}`;
}

/**
 * Kafka record key of a call: its ordering key when it has one (so calls of one key share a partition and keep
 * their order), else its call id, so one function's unordered calls spread over every partition and worker.
 */
export function recordKey(inv: { readonly callId: string; readonly orderingKey?: string | undefined }): string {
  return inv.orderingKey ?? inv.callId;
}
