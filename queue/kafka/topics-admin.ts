/**
 * Creates the topics an adapter needs when they are missing, with a max.message.bytes that fits our records:
 * invocation topics take a 1 MiB async body plus the envelope header, while retry and dead-letter topics also
 * carry a function's result (its body base64 in the header) and so get more room.
 */
import type { Admin } from 'kafkajs';
import { backoffDelayMs, type Backoff } from '../../common/backoff.js';

/**
 * Pause between looks at a topic that is not ready yet (no leaders, offsets not answered): leaders usually appear
 * within a few hundred ms of the creation; a broker still electing gets a growing pause.
 */
export const TOPIC_READY_BACKOFF: Backoff = Object.freeze({ minMs: 100, maxMs: 1_000 });

/** max.message.bytes of invocation topics: the 1 MiB async body limit plus room for headers and the envelope. */
export const INVOCATION_TOPIC_MAX_MESSAGE_BYTES = 1_572_864;
/** max.message.bytes of retry and dead-letter topics, whose records may also hold a result body. */
export const LARGE_TOPIC_MAX_MESSAGE_BYTES = 8 * 1_048_576;

/** A topic to ensure. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly maxMessageBytes: number;
  /** Further topic configuration (cleanup.policy, retention.ms, …) set at creation. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * Creates the missing topics of `specs` and waits until each has a leader for every partition. Existing topics
 * are left as they are (their partition count is an operator's decision). Safe to race with another creator.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    const topics = missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      configEntries: [
        { name: 'max.message.bytes', value: String(s.maxMessageBytes) },
        ...Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      ],
    }));
    // Another process may be creating the same topics right now: whoever wins, waitForLeaders below decides.
    await admin.createTopics({ waitForLeaders: true, timeout: timeoutMs, topics }).catch((err: unknown) => {
      const e = err as { retriable?: boolean; type?: string };
      if (!e.retriable && e.type !== 'TOPIC_ALREADY_EXISTS') throw err;
    });
  }
  await waitForLeaders(admin, specs.map((s) => s.topic), timeoutMs);
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    let problem: string | undefined;
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const leaderless = meta.find((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      problem = leaderless ? `topic ${leaderless.name} has partitions without a leader` : undefined;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (!problem) return;
    if (Date.now() >= deadline) throw new Error(`topics ${topics.join(', ')} not ready within ${timeoutMs} ms: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, TOPIC_READY_BACKOFF)));
  }
}
