import { startPeriodic } from './periodic.js';

describe('startPeriodic', () => {
  it('never overlaps runs, keeps going after a failure, and stops on close', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const periodic = startPeriodic(
      async () => {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
        if (runs === 2) throw new Error('boom');
      },
      1,
      (err) => errors.push(err),
    );
    while (runs < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    await periodic.close();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect([most, errors.length, runs]).toEqual([1, 1, after]);
  });
});
