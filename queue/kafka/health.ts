/** A readiness check of the Kafka cluster for processes that have no queue of their own to ping. */
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.js';

/** Pings the cluster. */
export interface KafkaHealth {
  /** Resolves when the cluster answers a metadata request within `timeoutMs`; rejects with the reason otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Creates a health checker with its own admin connection (connected on the first ping). */
export function kafkaHealth(options: KafkaConnectionOptions): KafkaHealth {
  const admin = createKafkaClient(options).admin();
  let connected: Promise<void> | undefined;
  return {
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          (async () => {
            connected ??= admin.connect().catch((err: unknown) => {
              connected = undefined;
              throw err;
            });
            await connected;
            await admin.describeCluster();
          })(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => admin.disconnect().catch(() => undefined),
  };
}
