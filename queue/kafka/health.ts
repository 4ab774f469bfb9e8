/** Readiness checks of the Kafka cluster: a ping over an admin client, and a standalone checker. */
import type { Admin } from 'kafkajs';
import { withDeadline } from '../../runtime/deadline.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';

/** Resolves when `admin` connects and describes the cluster within `timeoutMs`; rejects with the reason otherwise. */
export async function pingAdmin(admin: Admin, timeoutMs: number): Promise<void> {
  const answer = (async () => {
    await admin.connect(); // a no-op once connected
    await admin.describeCluster();
  })();
  await withDeadline(answer, timeoutMs, () => new Error(`Kafka did not answer within ${timeoutMs} ms`));
}

/** Pings the cluster. */
export interface KafkaHealth {
  /** Resolves when the cluster answers a metadata request within `timeoutMs` (the prober's own deadline); rejects with the reason otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Creates a health checker with its own admin connection (connected on the first ping). */
export function kafkaHealth(options: KafkaConnectionOptions): KafkaHealth {
  const admin = createKafkaClient(options).admin();
  return {
    ping: (timeoutMs) => pingAdmin(admin, timeoutMs),
    close: () => admin.disconnect().catch(() => undefined),
  };
}
