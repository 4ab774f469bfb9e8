import { DELAY_TIERS_MS, delayTierFor, delayTierTopic, recordKey } from './topics.js';

describe('recordKey', () => {
  it('keys an unordered call by its call id, so one function spreads over partitions', () => {
    expect(recordKey({ callId: 'c-1' })).toBe('c-1');
    expect(recordKey({ callId: 'c-2', orderingKey: undefined })).toBe('c-2');
  });

  it('keys an ordered call by its ordering key, so its calls share a partition in order', () => {
    expect(recordKey({ callId: 'c-1', orderingKey: 'tenant-7' })).toBe('tenant-7');
  });
});

describe('delay tiers', () => {
  it('names each tier topic by its wait', () => {
    expect(DELAY_TIERS_MS.map((t) => delayTierTopic('kfaas.invocations', t))).toEqual([
      'kfaas.invocations.delay-1m',
      'kfaas.invocations.delay-10m',
      'kfaas.invocations.delay-1h',
    ]);
    expect(delayTierTopic('t', 1_500)).toBe('t.delay-1500ms');
    expect(delayTierTopic('t', 3_000)).toBe('t.delay-3s');
  });

  it('sends a wait to the longest tier not above it, and nothing below the first', () => {
    expect(delayTierFor(DELAY_TIERS_MS, 59_999)).toBeUndefined();
    expect(delayTierFor(DELAY_TIERS_MS, 60_000)).toBe(60_000);
    expect(delayTierFor(DELAY_TIERS_MS, 599_999)).toBe(60_000);
    expect(delayTierFor(DELAY_TIERS_MS, 7 * 24 * 3_600_000)).toBe(3_600_000);
    expect(delayTierFor([], 7 * 24 * 3_600_000)).toBeUndefined();
  });
});
