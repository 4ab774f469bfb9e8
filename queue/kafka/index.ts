/**
 * The Kafka adapters of the queue ports: the gateway's InvocationQueue, the worker's InvocationSource (with its
 * retry relay), a DeadLetterReader, and a readiness ping. See each file for the delivery guarantees.
 */
export { createKafkaInvocationQueue, KAFKA_QUEUE_DEFAULTS, type KafkaInvocationQueue, type KafkaInvocationQueueOptions } from './invocation-queue.js';
export {
  createKafkaInvocationSource,
  KAFKA_SOURCE_DEFAULTS,
  type KafkaInvocationSource,
  type KafkaInvocationSourceOptions,
} from './invocation-source.js';
export { createKafkaDeadLetterReader, DEFAULT_DEAD_LETTER_LIMIT, type KafkaDeadLetterReaderOptions } from './dead-letter-reader.js';
export { createKafkaCallStatusView, type KafkaCallStatusView, type KafkaCallStatusViewOptions } from './call-status-view.js';
export { DEFAULT_STATUS_RETENTION_MS, type StatusTopicOptions } from './status-topic.js';
export { kafkaHealth, type KafkaHealth } from './health.js';
export type { KafkaConnectionOptions, KafkaLogLevel } from './kafka-client.js';
export { INVOCATION_TOPIC_MAX_MESSAGE_BYTES, LARGE_TOPIC_MAX_MESSAGE_BYTES } from './topics-admin.js';
