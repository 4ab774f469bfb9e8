import { describe, expect, it } from '@jest/globals';
import { runtimeHeapFlags } from './heap-tuning.js';

describe('runtimeHeapFlags', () => {
  it('pins the young generation when no cap was given at start', () => {
    expect(runtimeHeapFlags([], undefined)).toEqual(['--heap-growing-percent=10', '--semi-space-growth-factor=1']);
    expect(runtimeHeapFlags(['--enable-source-maps'], '--max-old-space-size=256')).toEqual(['--heap-growing-percent=10', '--semi-space-growth-factor=1']);
  });

  it('leaves the young generation to its start-up cap, from NODE_OPTIONS or the command line', () => {
    expect(runtimeHeapFlags([], '--max-semi-space-size=4')).toEqual(['--heap-growing-percent=10']);
    expect(runtimeHeapFlags([], ' --enable-source-maps  --max_semi_space_size=8 ')).toEqual(['--heap-growing-percent=10']);
    expect(runtimeHeapFlags(['--max-semi-space-size', '4'], undefined)).toEqual(['--heap-growing-percent=10']);
  });
});
