import kafkajs, { type Kafka as KafkaClient, type KafkaConfig } from 'kafkajs';
import type { ServicesState } from '../harness/state.js';

const { Kafka, logLevel } = kafkajs;

/** A kafkajs client for the test broker; kafkajs' own logging is off unless `overrides` says otherwise. */
export function kafkaFor(state: Pick<ServicesState, 'brokers'>, overrides: Partial<KafkaConfig> = {}): KafkaClient {
  return new Kafka({
    clientId: 'kfaas-test',
    brokers: state.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    ...overrides,
  });
}
