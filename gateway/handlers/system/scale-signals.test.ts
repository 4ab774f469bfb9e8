import type { AsyncBacklog } from '../../../common/call-status.js';
import { createScaleSignalsReader } from './scale-signals.js';

describe('scale signals reader', () => {
  it('reports backlog, sync in-flight and the recent rate per function, leaving idle ones out', async () => {
    let now = 10_000;
    const calls = new Map<string, { started: number; inflight: number }>();
    let backlog: AsyncBacklog = { functions: [{ function: 'a', namespace: 'fn', queued: 5, running: 2, retrying: 1 }], truncated: false, lagMs: 120 };
    const read = createScaleSignalsReader({ metrics: { syncCalls: () => calls }, callStatus: { backlog: async () => backlog }, now: () => now });

    calls.set('b.fn', { started: 20, inflight: 2 });
    calls.set('idle.fn', { started: 0, inflight: 0 });
    now += 2_000;
    const first = await read();
    expect(first).toEqual({
      at: 12_000,
      backlogLagMs: 120,
      hasBacklog: true,
      functions: [
        { name: 'b', namespace: 'fn', queued: 0, running: 0, retrying: 0, syncInflight: 2, syncRps: 10 },
        { name: 'a', namespace: 'fn', queued: 5, running: 2, retrying: 1, syncInflight: 0, syncRps: 0 },
      ],
    });

    // The rate follows the last seconds: 40 more calls in 4 s after the snapshot of the first read.
    calls.set('b.fn', { started: 60, inflight: 0 });
    backlog = { functions: [], truncated: false };
    now += 4_000;
    expect((await read()).functions).toEqual([{ name: 'b', namespace: 'fn', queued: 0, running: 0, retrying: 0, syncInflight: 0, syncRps: 10 }]);
    // After the window the old snapshots are dropped: no new calls means no rate.
    now += 20_000;
    await read();
    now += 1_000;
    expect((await read()).functions).toEqual([]);
  });

  it('says so when the gateway has no queue', async () => {
    const read = createScaleSignalsReader({ metrics: { syncCalls: () => new Map() } });
    expect(await read()).toMatchObject({ hasBacklog: false, backlogLagMs: 0, functions: [] });
  });
});
