/** Builds the kafkajs client of every Kafka adapter, logging through the injected winston logger. */
import type tls from 'node:tls';
import kafkajs, { type Kafka, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import { brokerList } from '../shared/validate.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

/** How to reach and authenticate to the brokers. */
export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly ssl?: tls.ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
  readonly logger: Logger;
  /** Level of kafkajs's own log lines; its INFO reports every pause and resume, so WARN by default. */
  readonly kafkaLogLevel?: KafkaLogLevel;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

/** kafkajs log levels by name. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LEVELS: Record<KafkaLogLevel, kafkajs.logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

const WINSTON_LEVEL: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Creates a kafkajs client; validates the broker list. */
export function createKafkaClient(options: KafkaConnectionOptions): Kafka {
  const brokers = brokerList('brokers', options.brokers);
  const logger = options.logger.child({ component: 'kafkajs' });
  return new KafkaClient({
    clientId: options.clientId ?? 'kfaas',
    brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: LEVELS[options.kafkaLogLevel ?? 'warn'],
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _name, ...extra } = log as LogEntry['log'] & { logger?: string };
        logger.log(WINSTON_LEVEL[level] ?? 'info', message, { namespace, ...extra });
      },
  });
}
