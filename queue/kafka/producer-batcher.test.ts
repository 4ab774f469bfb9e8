import { BUNDLE_MAX_BYTES, BatcherClosedError, BatcherFullError, BatcherWithdrawnError, createProducerBatcher, type TopicMessages } from './producer-batcher.js';

/** A scripted send: records each batch and settles it when the test says so. */
function scriptedSend() {
  const batches: Array<{ topicMessages: TopicMessages; resolve(): void; reject(err: Error): void }> = [];
  const send = (topicMessages: TopicMessages) =>
    new Promise<void>((resolve, reject) => {
      batches.push({ topicMessages, resolve, reject });
    });
  return { batches, send };
}

const record = (topic: string, n: number, bytes = 10) => ({ topic, key: `k${n}`, value: Buffer.alloc(bytes, n) });
const count = (tm: TopicMessages): number => tm.reduce((n, t) => n + t.messages.length, 0);
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

const limits = { lingerMs: 1, maxBatchRecords: 100, maxBatchBytes: 1_000_000, maxPendingRecords: 1_000, maxPendingBytes: 10_000_000 };

describe('createProducerBatcher', () => {
  it('sends concurrent records together and settles each with its batch ack', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const done = Array.from({ length: 5 }, (_, i) => b.add(record(i % 2 ? 'odd' : 'even', i)).done);
    await tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([
      ['even', 3],
      ['odd', 2],
    ]);
    batches[0]?.resolve();
    await expect(Promise.all(done)).resolves.toHaveLength(5);
  });

  it('passes record headers on to the send', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    b.add({ ...record('t', 1), headers: { traceparent } });
    b.add(record('t', 2));
    await tick();
    expect(batches[0]?.topicMessages[0]?.messages.map((m) => m.headers)).toEqual([{ traceparent }, undefined]);
    batches[0]?.resolve();
  });

  it('joins the bundle records of a send and topic into one record keyed by the first, leaving the others alone', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const line = (topic: string, key: string, text: string) => ({ topic, key, value: Buffer.from(text), bundle: true });
    const done = [
      b.add(line('s', 'q/a', '{"a":1}')).done,
      b.add(record('calls', 1)).done,
      b.add(line('s', 'q/b', '{"b":2}')).done,
      b.add(line('other', 'q/c', '{"c":3}')).done,
    ];
    const withdrawn = b.add(line('s', 'q/d', '{"d":4}'));
    const withdrawnDone = expect(withdrawn.done).rejects.toBeInstanceOf(BatcherWithdrawnError);
    done.push(b.add(line('s', 'q/e', '{"e":5}')).done);
    withdrawn.cancel();
    await tick();
    const sent = Object.fromEntries(batches[0]!.topicMessages.map((t) => [t.topic, t.messages.map((m) => [m.key, m.value.toString()])]));
    expect(sent).toEqual({
      s: [['q/a', '{"a":1}\n{"b":2}\n{"e":5}']],
      calls: [['k1', Buffer.alloc(10, 1).toString()]],
      other: [['q/c', '{"c":3}']],
    });
    batches[0]?.resolve();
    await expect(Promise.all(done)).resolves.toHaveLength(5);
    await withdrawnDone;
  });

  it('splits a bundle that would exceed BUNDLE_MAX_BYTES, each part keyed by its own first record', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const third = Math.floor((BUNDLE_MAX_BYTES - 2) / 3); // three fit exactly, with their two newlines
    for (let i = 0; i < 5; i += 1) b.add({ topic: 's', key: `q/${i}`, value: Buffer.alloc(third, 97 + i), bundle: true });
    await tick();
    const messages = batches[0]!.topicMessages[0]!.messages;
    expect(messages.map((m) => m.key)).toEqual(['q/0', 'q/3']);
    expect(messages.every((m) => m.value.length <= BUNDLE_MAX_BYTES)).toBe(true);
    expect(messages.map((m) => m.value.toString().split('\n').length)).toEqual([3, 2]);
  });

  it('keeps one send in flight and sends what arrived meanwhile as the next batch', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const first = b.add(record('t', 0)).done;
    await tick();
    const later = Array.from({ length: 3 }, (_, i) => b.add(record('t', i + 1)).done);
    await tick();
    expect(batches).toHaveLength(1);
    expect(b.waiting).toBe(3);
    batches[0]?.resolve();
    await first;
    await tick();
    expect(batches).toHaveLength(2);
    expect(count(batches[1]?.topicMessages ?? [])).toBe(3);
    batches[1]?.resolve();
    await Promise.all(later);
  });

  it('caps a batch by records and by bytes, but always sends at least one record', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, maxBatchRecords: 2, maxBatchBytes: 300, send });
    const all = [b.add(record('t', 0, 500)).done, b.add(record('t', 1, 50)).done, b.add(record('t', 2, 50)).done, b.add(record('t', 3, 200)).done];
    await tick();
    for (let i = 0; i < 3; i += 1) {
      batches[i]?.resolve();
      await tick();
    }
    expect(batches.map((x) => count(x.topicMessages))).toEqual([1, 2, 1]);
    await Promise.all(all);
  });

  it('rejects every record of a failed send with its error', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const a = b.add(record('t', 0)).done;
    const c = b.add(record('t', 1)).done;
    await tick();
    batches[0]?.reject(new Error('broker says no'));
    await expect(a).rejects.toThrow('broker says no');
    await expect(c).rejects.toThrow('broker says no');
  });

  it('withdraws a record not yet sent, so it is never written, but not one already sent', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, send });
    const sent = b.add(record('t', 0));
    await tick();
    const waiting = b.add(record('t', 1));
    const kept = b.add(record('t', 2));
    expect(waiting.cancel()).toBe(true);
    expect(sent.cancel()).toBe(false);
    await expect(waiting.done).rejects.toBeInstanceOf(BatcherWithdrawnError);
    batches[0]?.resolve();
    await sent.done;
    await tick();
    expect(batches[1]?.topicMessages[0]?.messages.map((m) => m.key)).toEqual(['k2']);
    batches[1]?.resolve();
    await kept.done;
  });

  it('refuses records beyond the pending limits', async () => {
    const { send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, maxPendingRecords: 2, send });
    b.add(record('t', 0)).done.catch(() => undefined);
    b.add(record('t', 1)).done.catch(() => undefined);
    await expect(b.add(record('t', 2)).done).rejects.toBeInstanceOf(BatcherFullError);
    const bytes = createProducerBatcher({ ...limits, maxPendingBytes: 100, send });
    await expect(bytes.add(record('t', 0, 200)).done).rejects.toThrow(/limits 1000 records, 100 bytes/);
  });

  it('close() sends what waits, waits for the acks, then refuses new records', async () => {
    const { batches, send } = scriptedSend();
    const b = createProducerBatcher({ ...limits, lingerMs: 10_000, send });
    const a = b.add(record('t', 0)).done;
    let closed = false;
    const closing = b.close().then(() => (closed = true));
    await tick();
    expect(batches).toHaveLength(1);
    expect(closed).toBe(false);
    batches[0]?.resolve();
    await closing;
    await a;
    await expect(b.add(record('t', 1)).done).rejects.toBeInstanceOf(BatcherClosedError);
  });
});
