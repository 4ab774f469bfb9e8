// A source in a child process, for the crash cases of the contract suite: it runs every call it gets for
// `handlerMs`, printing `started <callId>` before and `completed <callId>` after, until the parent SIGKILLs it.
// Spec (JSON in argv[2]): { kind: 'kafka', brokers, topic, sessionTimeoutMs, maxInflight, handlerMs, statusTopic? }
//                      or { kind: 'embedded', dataDir, leaseMs, maxInflight, handlerMs }.
import winston from 'winston';
import type { InvocationSource } from '../../common/queue.js';
import { createEmbeddedQueue } from '../../queue/embedded/index.js';
import { createKafkaInvocationSource } from '../../queue/kafka/index.js';

/** What the parent asks the child to run. */
export type ChildSourceSpec =
  | { kind: 'kafka'; brokers: string[]; topic: string; sessionTimeoutMs: number; maxInflight: number; handlerMs: number; statusTopic?: string }
  | { kind: 'embedded'; dataDir: string; leaseMs: number; maxInflight: number; handlerMs: number };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSourceSpec;
  const logger = winston.createLogger({ silent: true });
  let source: InvocationSource;
  if (spec.kind === 'kafka') {
    source = createKafkaInvocationSource({
      brokers: spec.brokers,
      topic: spec.topic,
      logger,
      maxInflight: spec.maxInflight,
      sessionTimeoutMs: spec.sessionTimeoutMs,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 200,
      lagIntervalMs: 0,
      ...(spec.statusTopic ? { status: { topic: spec.statusTopic, retentionMs: 3_600_000 } } : {}),
    });
  } else {
    source = createEmbeddedQueue({ dataDir: spec.dataDir, logger }).source({ maxInflight: spec.maxInflight, leaseMs: spec.leaseMs });
  }
  await source.start(async (inv) => {
    process.stdout.write(`started ${inv.callId}\n`);
    await new Promise((resolve) => setTimeout(resolve, spec.handlerMs));
    process.stdout.write(`completed ${inv.callId}\n`);
    return { action: 'complete' };
  });
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`source child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
