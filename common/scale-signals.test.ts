import { joinSignals, type FunctionSignals, type ScaleSignalsReport } from './scale-signals.js';

const fn = (name: string, s: Partial<FunctionSignals>): FunctionSignals => ({
  name, namespace: 'fn', queued: 0, running: 0, retrying: 0, syncInflight: 0, syncRps: 0, ...s,
});
const report = (at: number, functions: FunctionSignals[], r: Partial<ScaleSignalsReport> = {}): ScaleSignalsReport => ({
  at, backlogLagMs: 0, hasBacklog: true, functions, ...r,
});

describe('joinSignals', () => {
  it('adds up sync load over gateways and takes the backlog from the freshest report', () => {
    const joined = joinSignals(
      [
        report(1_000, [fn('a', { queued: 7, syncInflight: 2, syncRps: 1.5 })]),
        report(1_500, [fn('a', { queued: 4, running: 3, retrying: 1, syncInflight: 1, syncRps: 2 }), fn('b', { syncInflight: 3 })]),
      ],
      2_000,
    );
    expect(joined.loads.get('a.fn')).toEqual({ backlog: 8, syncInflight: 3, syncRps: 3.5 });
    expect(joined.loads.get('b.fn')).toEqual({ backlog: 0, syncInflight: 3, syncRps: 0 });
    expect(joined.ageMs).toBe(500);
  });

  it('counts a status view lag in the age, and prefers the backlog that is least behind', () => {
    const joined = joinSignals(
      [report(2_000, [fn('a', { queued: 1 })], { backlogLagMs: 1_500 }), report(1_900, [fn('a', { queued: 9 })], { backlogLagMs: 100 })],
      2_000,
    );
    expect(joined.loads.get('a.fn')?.backlog).toBe(9);
    expect(joined.ageMs).toBe(200);
  });

  it('ignores the backlog of a gateway without a queue, and is infinitely old with no report', () => {
    const joined = joinSignals([report(1_000, [fn('a', { syncInflight: 1 })], { hasBacklog: false })], 1_000);
    expect(joined.loads.get('a.fn')).toEqual({ backlog: 0, syncInflight: 1, syncRps: 0 });
    expect(joinSignals([], 0).ageMs).toBe(Infinity);
  });
});
