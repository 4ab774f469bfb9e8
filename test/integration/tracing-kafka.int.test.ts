/**
 * On Kafka the call's W3C trace context travels in the record headers too (beside the envelope's copy that
 * the worker reads), so Kafka tooling that follows traceparent sees the call. Against the real test broker.
 */
import { createKafkaInvocationQueue } from '../../queue/kafka/index.js';
import { anInvocation } from '../contract/invocation-queue.contract.js';
import { kafkaFor, loadServices, silentLogger, uniqueName, waitFor } from '../helpers/index.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

it('writes traceparent and tracestate into the record headers, and no headers for a call without them', async () => {
  const state = loadServices();
  const topic = uniqueName('trace');
  const queue = createKafkaInvocationQueue({ brokers: state.brokers, topicBase: topic, partitions: 1, logger: silentLogger() });
  const consumer = kafkaFor(state).consumer({ groupId: uniqueName('trace-reader') });
  try {
    await queue.enqueue(anInvocation({ callId: 'traced', headers: { traceparent: TRACEPARENT, tracestate: 'k=v', 'content-type': 'text/plain' } }));
    await queue.enqueue(anInvocation({ callId: 'untraced', headers: { 'content-type': 'text/plain' } }));
    const seen: Array<Record<string, string>> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      },
    });
    await waitFor(() => seen.length === 2, { timeoutMs: 30_000, description: 'both records' });
    expect(seen).toEqual([{ traceparent: TRACEPARENT, tracestate: 'k=v' }, {}]);
  } finally {
    await consumer.disconnect();
    await queue.close();
  }
});
