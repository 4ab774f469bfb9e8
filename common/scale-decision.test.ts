import { decideScale, holdScaleMemory, initialScaleMemory, loadOf, type ScaleLoad, type ScaleMemory } from './scale-decision.js';
import type { ScaleSettings } from './scale-settings.js';

const settings = (s: Partial<ScaleSettings> = {}): ScaleSettings => ({
  min: 1, max: 8, target: 50, targetType: 'inflight', zeroAfterMs: undefined, source: 'spec.scale', ...s,
});
const load = (l: Partial<ScaleLoad> = {}): ScaleLoad => ({ backlog: 0, syncInflight: 0, syncRps: 0, ...l });
const opts = { stabilisationMs: 60_000 };

/** Runs rounds of (time, load) against a replica count that follows each decision, as the autoscaler does. */
function run(s: ScaleSettings, rounds: Array<[number, Partial<ScaleLoad>]>, start = 1): number[] {
  let memory: ScaleMemory = initialScaleMemory(rounds[0]![0]);
  let current = start;
  return rounds.map(([at, l]) => {
    const d = decideScale(s, load(l), current, memory, at, opts);
    memory = d.memory;
    current = d.replicas;
    return current;
  });
}

describe('decideScale', () => {
  it('scales up at once to ceil(load / target), clamped to max, and says why', () => {
    const d = decideScale(settings(), load({ backlog: 412 }), 1, initialScaleMemory(0), 0, opts);
    expect(d.replicas).toBe(8);
    expect(d.reason).toBe('backlog 412 / target 50 -> 8 replicas (max 8)');
    const e = decideScale(settings({ max: 20 }), load({ backlog: 100, syncInflight: 1 }), 1, initialScaleMemory(0), 0, opts);
    expect(e).toMatchObject({ replicas: 3, reason: 'backlog 100 + in-flight 1 / target 50 -> 3 replicas' });
  });

  it('never goes below min (or 1) while the function has load', () => {
    expect(decideScale(settings({ min: 3 }), load({ syncInflight: 1 }), 3, initialScaleMemory(0), 0, opts)).toMatchObject({
      replicas: 3, reason: 'in-flight 1 / target 50 -> 3 replicas (min 3)',
    });
    expect(decideScale(settings({ min: 0 }), load({ syncInflight: 1 }), 1, initialScaleMemory(0), 0, opts).replicas).toBe(1);
  });

  it('scales down only to the highest recommendation of the stabilisation window', () => {
    const s = settings({ target: 10 });
    // 60 calls -> 6 replicas; the load falls to 10 at t=1s; only after 60s does the 6 leave the window.
    const replicas = run(s, [[0, { backlog: 60 }], [1_000, { backlog: 10 }], [30_000, { backlog: 10 }], [60_000, { backlog: 10 }], [61_000, { backlog: 10 }]]);
    expect(replicas).toEqual([6, 6, 6, 6, 1]);
  });

  it('steps down through the window rather than jumping to the lowest value', () => {
    const s = settings({ target: 10 });
    const replicas = run(s, [[0, { backlog: 60 }], [30_000, { backlog: 30 }], [60_500, { backlog: 5 }], [90_500, { backlog: 5 }]]);
    expect(replicas).toEqual([6, 6, 3, 1]);
  });

  it('does not flap with a load that jumps up and down', () => {
    const s = settings({ target: 10 });
    const rounds: Array<[number, Partial<ScaleLoad>]> = [];
    for (let t = 0; t < 50; t++) rounds.push([t * 1_000, { backlog: t % 2 === 0 ? 80 : 0 }]);
    const replicas = run(s, rounds);
    expect(new Set(replicas)).toEqual(new Set([8]));
  });

  it('holding a scale-down names the window in its reason', () => {
    const first = decideScale(settings({ target: 10 }), load({ backlog: 40 }), 1, initialScaleMemory(0), 0, opts);
    const d = decideScale(settings({ target: 10 }), load({ backlog: 10 }), 4, first.memory, 5_000, opts);
    expect(d).toMatchObject({ replicas: 4, reason: 'backlog 10 / target 10 -> 1 replica; holding 4 (highest in the last 1m)' });
  });

  it('scales to zero after zeroAfter with no calls and no backlog, and not before', () => {
    const s = settings({ zeroAfterMs: 120_000, target: 10 });
    const replicas = run(s, [[0, { backlog: 5 }], [60_000, {}], [119_000, {}], [120_000, {}], [200_000, {}]]);
    expect(replicas).toEqual([1, 1, 1, 0, 0]);
    const d = decideScale(s, load(), 1, { recent: [], lastActiveAt: 0 }, 180_000, opts);
    expect(d.reason).toBe('no calls and no backlog for 3m (zeroAfter 2m) -> 0 replicas');
  });

  it('counts idle time from the first round, so a restart never drops a function to zero at once', () => {
    const s = settings({ zeroAfterMs: 60_000 });
    expect(run(s, [[1_000_000, {}], [1_030_000, {}], [1_060_000, {}]])).toEqual([1, 1, 0]);
  });

  it('never scales to zero without zeroAfter, whatever min says', () => {
    expect(run(settings({ min: 0 }), [[0, {}], [10_000_000, {}]])).toEqual([1, 1]);
  });

  it('wakes a function at zero on any backlog or call, and leaves an idle one there', () => {
    const s = settings({ zeroAfterMs: 60_000, target: 5 });
    expect(decideScale(s, load(), 0, initialScaleMemory(0), 0, opts)).toMatchObject({ replicas: 0 });
    expect(decideScale(s, load({ backlog: 1 }), 0, initialScaleMemory(0), 0, opts)).toMatchObject({ replicas: 1 });
    expect(decideScale(s, load({ backlog: 12 }), 0, initialScaleMemory(0), 0, opts)).toMatchObject({ replicas: 3 });
    expect(decideScale(s, load({ syncRps: 0.2, syncInflight: 1 }), 0, initialScaleMemory(0), 0, opts).replicas).toBe(1);
  });

  it('rps targets compare requests per second, counting each waiting async call as one', () => {
    expect(loadOf({ targetType: 'rps' }, load({ syncRps: 120, syncInflight: 3, backlog: 30 }))).toBe(150);
    expect(loadOf({ targetType: 'inflight' }, load({ syncRps: 120, syncInflight: 3, backlog: 30 }))).toBe(33);
    const d = decideScale(settings({ targetType: 'rps', target: 40, max: 20 }), load({ syncRps: 120.4 }), 1, initialScaleMemory(0), 0, opts);
    expect(d).toMatchObject({ replicas: 4, reason: '120.4 rps / target 40 rps -> 4 replicas' });
  });
});

describe('a restarted or blind autoscaler', () => {
  it('holds the current replicas through the first window', () => {
    const s = settings({ target: 10 });
    const memory = initialScaleMemory(0, 5);
    expect(decideScale(s, load(), 5, memory, 30_000, opts).replicas).toBe(5);
    expect(decideScale(s, load(), 5, memory, 61_000, opts).replicas).toBe(1);
  });

  it('treats rounds without fresh signals as load that keeps the replicas', () => {
    const s = settings({ target: 10, zeroAfterMs: 30_000 });
    const held = holdScaleMemory(initialScaleMemory(0, 3), 3, 100_000, opts);
    expect(held).toEqual({ recent: [{ at: 100_000, replicas: 3 }], lastActiveAt: 100_000 });
    expect(decideScale(s, load(), 3, held, 110_000, opts).replicas).toBe(3);
  });
});
