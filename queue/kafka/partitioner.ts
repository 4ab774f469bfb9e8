/**
 * The Java client's default partitioner for keyed records (murmur2 of the key, positive, modulo the partition
 * count), as kafkajs's DefaultPartitioner computes it, in 32-bit integer arithmetic. kafkajs emulates the
 * 64-bit Java longs with an object per step and filters the partition list for every record: about 3 µs a record,
 * paid twice per accepted call with call status on (the call and its `queued` snapshot). The low 32 bits of a
 * product depend only on the low 32 bits of its operands, so Math.imul gives the very same partition: a key still
 * lands where kafkajs, the Java client and earlier kfaas versions put it, which per-key ordering relies on.
 * Records without a key, or with a partition set, go to kafkajs's own partitioner unchanged.
 */
import kafkajs, { type ICustomPartitioner } from 'kafkajs';

const { Partitioners } = kafkajs;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of `data` as a signed 32-bit integer (the Java client's Utils.murmur2). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** kafkajs's DefaultPartitioner with the keyed case computed in 32-bit arithmetic (same partitions). */
export const KeyHashPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if ((message.partition === undefined || message.partition === null) && message.key !== undefined && message.key !== null) {
      const key = Buffer.isBuffer(message.key) ? message.key : Buffer.from(String(message.key));
      return (murmur2(key) & 0x7fffffff) % partitionMetadata.length;
    }
    return fallback(args);
  };
};
