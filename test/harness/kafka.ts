import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { waitFor } from '../helpers/wait-for.js';
import { freePorts } from './ports.js';
import { runCommand, spawnService, type ServiceProcess } from './process.js';

const { Kafka, logLevel } = kafkajs;

/**
 * JVM flags: serial GC and the C1-only JIT leave the second core to Node, and the heap cap
 * keeps the broker to a few hundred MB.
 */
const JVM_OPTS = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true'];

/** A started, ready broker. */
export interface KafkaService {
  process: ServiceProcess;
  broker: string;
  readyMs: number;
}

function serverProperties(runDir: string, port: number, controllerPort: number): string {
  // Single node: every internal topic must have replication factor 1, or no group coordinator ever appears.
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${path.join(runDir, 'kafka-data')}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
`;
}

/** Resolves when a kafkajs admin client can connect and describe the cluster. */
async function brokerReady(broker: string): Promise<true | undefined> {
  const admin = new Kafka({
    clientId: 'kfaas-harness-probe',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 ? true : undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Formats a fresh KRaft log dir and starts a single-node broker+controller on new loopback ports, ready when a
 * kafkajs admin client can describe the cluster (200 ms polls, 60 s deadline).
 */
export async function startKafka(opts: { libDir: string; runDir: string; repoRoot: string; onStart: (p: ServiceProcess) => void }): Promise<KafkaService> {
  const t0 = Date.now();
  const dir = path.join(opts.runDir, 'kafka');
  fs.mkdirSync(dir, { recursive: true });
  const props = path.join(dir, 'server.properties');
  const log4j = path.join(dir, 'log4j.properties');
  fs.copyFileSync(path.join(opts.repoRoot, 'test-infra', 'kafka', 'log4j.properties'), log4j);
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  fs.writeFileSync(props, serverProperties(opts.runDir, port, controllerPort));
  const classpath = `${opts.libDir}/*`;
  const jvm = [...JVM_OPTS, `-Dlog4j.configuration=file:${log4j}`];
  const clusterId = crypto.randomBytes(16).toString('base64url');
  // `--cluster-id=<id>`, not `-t <id>`: a base64url id may begin with '-', which the tool's parser reads as a flag.
  await runCommand('java', [...jvm, '-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props,
    '--ignore-formatted'], { cwd: dir, logPath: path.join(opts.runDir, 'kafka-format.log') });
  const proc = spawnService({
    name: 'kafka',
    command: 'java',
    args: [...jvm, '-cp', classpath, 'kafka.Kafka', props],
    runDir: opts.runDir,
  });
  opts.onStart(proc);
  const broker = `127.0.0.1:${port}`;
  await waitFor(() => brokerReady(broker), {
    description: `Kafka broker on ${broker} (log: ${proc.logPath})`,
    timeoutMs: 60_000,
    intervalMs: 200,
    abort: proc.exitError,
  });
  return { process: proc, broker, readyMs: Date.now() - t0 };
}
