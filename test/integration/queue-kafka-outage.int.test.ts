// A broker outage against a private single-node broker (the shared one must stay up for the other suites):
// while it is down, enqueue fails fast with QUEUE_UNAVAILABLE; once it is back on the same port and log dir,
// the same queue and source objects carry on, without a restart of either.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isKfaasError } from '../../common/errors.js';
import { createKafkaInvocationQueue, createKafkaInvocationSource } from '../../queue/kafka/index.js';
import { startKafka, type KafkaService } from '../harness/kafka.js';
import { groupAlive, signalGroup, spawnService, type ServiceProcess } from '../harness/process.js';
import { repoRoot } from '../harness/state.js';
import { anInvocation } from '../contract/invocation-queue.contract.js';
import { silentLogger, uniqueName, waitFor } from '../helpers/index.js';

const TIMEOUT_MS = 240_000;

/** The broker jars, from the same cached script the harness uses (KFAAS_KAFKA_LIB overrides it). */
function kafkaLib(root: string): string {
  if (process.env.KFAAS_KAFKA_LIB) return process.env.KFAAS_KAFKA_LIB;
  const out = execFileSync('bash', [path.join(root, 'scripts', 'kafka-jars.sh')], { cwd: root, encoding: 'utf8' });
  return out.trim().split('\n').pop() as string;
}

async function killGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGKILL');
  await waitFor(() => !groupAlive(pgid), { timeoutMs: 10_000, description: `process group ${pgid} to exit` });
}

describe('Kafka queue across a broker outage', () => {
  let runDir: string;
  let kafka: KafkaService | undefined;
  let restarted: ServiceProcess | undefined;

  beforeAll(async () => {
    const root = repoRoot();
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), `${uniqueName('kfaas-outage')}-`));
    kafka = await startKafka({ libDir: kafkaLib(root), runDir, repoRoot: root, onStart: () => undefined });
  }, TIMEOUT_MS);

  afterAll(async () => {
    for (const pgid of [kafka?.process.pgid, restarted?.pgid]) if (pgid !== undefined) await killGroup(pgid);
    fs.rmSync(runDir, { recursive: true, force: true });
  }, TIMEOUT_MS);

  it(
    'fails enqueues fast while the broker is down and recovers without a restart when it is back',
    async () => {
      const broker = (kafka as KafkaService).broker;
      const pgid = (kafka as KafkaService).process.pgid;
      const topic = uniqueName('outage');
      const logger = silentLogger();
      const queue = createKafkaInvocationQueue({ brokers: [broker], topicBase: topic, partitions: 1, logger, enqueueTimeoutMs: 2_000 });
      const source = createKafkaInvocationSource({
        brokers: [broker],
        topic,
        partitions: 1,
        logger,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1_000,
        maxWaitTimeMs: 200,
        lagIntervalMs: 0,
      });
      const delivered = new Set<string>();
      try {
        await queue.start();
        await source.start(async (inv) => {
          delivered.add(inv.callId);
          return { action: 'complete' };
        });
        const before = anInvocation();
        await queue.enqueue(before);
        await waitFor(() => delivered.has(before.callId), { timeoutMs: 30_000, description: 'the call before the outage' });

        // The same command line on the same ports and log dir brings the same broker back.
        const cmdline = fs.readFileSync(`/proc/${pgid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        await killGroup(pgid);

        const t0 = Date.now();
        const err = await queue.enqueue(anInvocation()).catch((e: unknown) => e);
        expect(isKfaasError(err, 'QUEUE_UNAVAILABLE')).toBe(true);
        expect(Date.now() - t0).toBeLessThan(3_500);

        restarted = spawnService({ name: 'kafka-restarted', command: cmdline[0] as string, args: cmdline.slice(1), runDir });
        const after = anInvocation();
        await waitFor(
          async () => {
            await queue.enqueue(after);
            return true;
          },
          { timeoutMs: 90_000, intervalMs: 500, description: 'an enqueue to succeed after the restart' },
        );
        await waitFor(() => delivered.has(after.callId), { timeoutMs: 90_000, description: 'the source to deliver after the restart' });
      } finally {
        await source.close();
        await queue.close();
      }
    },
    TIMEOUT_MS,
  );
});
