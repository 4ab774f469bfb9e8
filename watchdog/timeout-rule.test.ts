import { effectiveExecLimit } from './timeout-rule.js';

describe('effectiveExecLimit', () => {
  it.each([
    [2_000, undefined, 2_000, false],
    [2_000, '500ms', 500, true],
    [2_000, '1', 1_000, true],
    [2_000, ['300ms', '5s'], 300, true],
    [2_000, '5s', 2_000, false],
    [2_000, '2s', 2_000, false],
    [2_000, 'soon', 2_000, false],
    [2_000, '0', 2_000, false],
    [2_000, '', 2_000, false],
    [0, '500ms', 0, false],
  ] as const)('exec_timeout %dms with X-Timeout %j gives %dms (lowered: %s)', (configured, header, ms, lowered) => {
    expect(effectiveExecLimit(configured, header as string | string[] | undefined)).toEqual({ ms, lowered });
  });
});
