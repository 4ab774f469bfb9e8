import crypto from 'node:crypto';
import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { KeyHashPartitioner, murmur2 } from './partitioner.js';

const { Partitioners } = kafkajs;

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

describe('KeyHashPartitioner', () => {
  it("puts every key where kafkajs's DefaultPartitioner does, for keys of every length mod 4 and bytes >= 0x80", () => {
    const ours = KeyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: Array<string | Buffer> = ['', 'a', 'ab', 'abc', 'abcd', 'ordering-key-é', crypto.randomUUID()];
    for (let i = 0; i < 2_000; i++) keys.push(crypto.randomBytes(i % 41), crypto.randomUUID(), `fn.ns/${i}`);
    const differing: unknown[] = [];
    for (const n of [1, 2, 3, 6, 12, 64]) {
      const partitionMetadata = metadata(n);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        if (ours(args) !== theirs(args)) differing.push({ key, partitions: n, ours: ours(args), theirs: theirs(args) });
      }
    }
    expect(differing).toEqual([]);
  });

  it('matches the Java client for known keys (its murmur2 test vectors)', () => {
    // From the Kafka Java client's UtilsTest.testMurmur2.
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('leaves records with a partition, or without a key, to the default rules', () => {
    const ours = KeyHashPartitioner();
    const partitionMetadata = metadata(6);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 4 } })).toBe(4);
    const unkeyed = new Set(Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata, message: { key: null, value: null } })));
    // Round robin over the available partitions, as kafkajs does.
    expect(unkeyed.size).toBe(6);
  });
});
