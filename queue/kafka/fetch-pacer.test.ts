import { createFetchPacer } from './fetch-pacer.js';

const KIB = 1_024;

/** A pacer fed as the view feeds it: one batch per fetch, recorded, then asked for the delay. */
function paced(options: Parameters<typeof createFetchPacer>[0]) {
  const pacer = createFetchPacer(options);
  return {
    delayAfter(now: number, bytes: number): number {
      pacer.record(now, bytes);
      return pacer.delay(now);
    },
  };
}

describe('createFetchPacer', () => {
  it('never holds a fetch while the traffic stays below the threshold', () => {
    const pacer = paced({ intervalMs: 100, aboveBytesPerSecond: 64 * KIB });
    // 100 fetches a second of 500 bytes: 50 KB/s.
    for (let t = 0; t < 5_000; t += 10) expect(pacer.delayAfter(t, 500)).toBe(0);
  });

  it('spaces fetches intervalMs apart once the traffic passes the threshold', () => {
    const pacer = paced({ intervalMs: 100, aboveBytesPerSecond: 64 * KIB });
    // Records arrive at 200 KiB/s; a fetch takes 5 ms and brings what arrived since the previous one.
    const rate = (200 * KIB) / 1_000;
    const delays: number[] = [];
    let now = 5;
    let last = 0;
    for (let i = 0; i < 200; i += 1) {
      const delay = pacer.delayAfter(now, Math.round((now - last) * rate));
      delays.push(delay);
      last = now;
      now += delay + 5;
    }
    // The first fetches pass while the first window fills; from then on each waits out the interval, and
    // bringing more per fetch does not stop it (the byte rate is the same).
    expect(delays[0]).toBe(0);
    expect(delays.slice(-20).every((d) => d >= 90 && d <= 100)).toBe(true);
  });

  it('lets a burst within one second trip it, and a quiet gap reset it', () => {
    const pacer = paced({ intervalMs: 100, aboveBytesPerSecond: 64 * KIB });
    expect(pacer.delayAfter(0, 70 * KIB)).toBe(0);
    // 70 KiB in the current window already exceeds 64 KiB/s: the next fetch waits.
    expect(pacer.delayAfter(10, 1)).toBe(90);
    // After 5 quiet seconds the rate starts from nothing.
    expect(pacer.delayAfter(5_000, 1 * KIB)).toBe(0);
    expect(pacer.delayAfter(5_010, 1 * KIB)).toBe(0);
  });

  it('counts every batch of a fetch, asking for the delay once', () => {
    const pacer = createFetchPacer({ intervalMs: 100, aboveBytesPerSecond: 64 * KIB });
    // Three partitions' batches of 30 KiB each in one fetch: 90 KiB, over the threshold together only.
    for (let i = 0; i < 3; i += 1) pacer.record(0, 30 * KIB);
    expect(pacer.delay(0)).toBe(0);
    pacer.record(10, 1);
    expect(pacer.delay(10)).toBe(90);
  });

  it('is off with an interval of 0', () => {
    const pacer = paced({ intervalMs: 0, aboveBytesPerSecond: 1 });
    for (let t = 0; t < 100; t += 1) expect(pacer.delayAfter(t, 1 * KIB * KIB)).toBe(0);
  });
});
