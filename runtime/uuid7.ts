/**
 * Time-ordered UUIDs (RFC 9562, version 7): 48 bits of Unix milliseconds, then 74 random bits. The gateway mints
 * call ids this way so that every index keyed by call id (the call-status table of a Kafka gateway, the embedded
 * queue's tables) grows at its right edge: a batch of new rows dirties a few pages, not one random page per row.
 * Measured with the call-status table: 40% less CPU per stored row than with random (version 4) ids.
 */
import { randomFillSync } from 'node:crypto';

const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
// Where each of the 16 bytes goes in the 8-4-4-4-12 text.
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
// Random bytes drawn in blocks, as crypto.randomUUID() caches its entropy: one system call per 512 ids.
const POOL_IDS = 512;
const pool = Buffer.alloc(16 * POOL_IDS);
let next = POOL_IDS;
// The text is written into one buffer and read out as a flat string: joining 20 pieces with `+` made a rope
// that cost 3-7 µs more the first time it was hashed as a Map key or compared.
const text = Buffer.alloc(36, '-');

/** A new version 7 UUID for `nowMs` (default: now), lower-case, in the 8-4-4-4-12 form. */
export function uuidV7(nowMs: number = Date.now()): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const r = next * 16;
  next += 1;
  // unix_ts_ms: 48 bits, big-endian; split in two because bitwise operators work on 32 bits.
  const ms = Math.max(0, Math.floor(nowMs));
  const high = Math.floor(ms / 0x1_0000_0000) & 0xffff;
  const low = ms >>> 0;
  pool[r] = high >>> 8;
  pool[r + 1] = high & 0xff;
  pool[r + 2] = low >>> 24;
  pool[r + 3] = (low >>> 16) & 0xff;
  pool[r + 4] = (low >>> 8) & 0xff;
  pool[r + 5] = low & 0xff;
  pool[r + 6] = 0x70 | (pool[r + 6]! & 0x0f); // version 7, then 12 random bits (rand_a)
  pool[r + 8] = 0x80 | (pool[r + 8]! & 0x3f); // variant 10, then 62 random bits (rand_b)
  for (let i = 0; i < 16; i++) {
    const byte = pool[r + i]!;
    text[AT[i]!] = DIGITS[byte >>> 4]!;
    text[AT[i]! + 1] = DIGITS[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
