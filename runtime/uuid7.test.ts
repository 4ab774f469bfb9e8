import { randomUUID } from 'node:crypto';
import { uuidV7 } from './uuid7.js';

/** The milliseconds a version 7 UUID was minted at, or undefined for any other string. */
function uuidV7Time(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe('uuidV7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, the minting millisecond in the first 48 bits', () => {
    const at = Date.UTC(2026, 11, 3, 15, 40, 0, 123);
    const id = uuidV7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidV7Time(id)).toBe(at);
    expect(id.slice(0, 13)).toBe(`${at.toString(16).padStart(12, '0').slice(0, 8)}-${at.toString(16).padStart(12, '0').slice(8)}`);
  });

  it('sorts by minting time, as strings, across milliseconds and the 32-bit boundary of the low word', () => {
    const times = [0, 1, 0xffff_ffff, 0x1_0000_0000, Date.now(), Date.now() + 1, 2 ** 48 - 1];
    const ids = times.map((t) => uuidV7(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map((id) => uuidV7Time(id))).toEqual(times);
  });

  it('is unique over 200,000 ids minted in the same millisecond, across refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(uuidV7(1_000));
    expect(seen.size).toBe(200_000);
  });

  it('does not read a version 4 UUID or other strings as a time', () => {
    expect(uuidV7Time(randomUUID())).toBeUndefined();
    expect(uuidV7Time('not-a-uuid')).toBeUndefined();
  });
});
