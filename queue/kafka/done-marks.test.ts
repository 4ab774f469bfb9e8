import { decodeDoneMarks, encodeDoneMarks } from './done-marks.js';

describe('done-marks', () => {
  it('round-trips runs and single offsets above the position', () => {
    const done = [12n, 13n, 14n, 20n, 1_000n, 1_001n];
    const text = encodeDoneMarks(10n, done);
    expect(text).toBe('kfaas-done:1:2.3,5.1,r7.2');
    expect(decodeDoneMarks(10n, text)).toEqual(done);
  });

  it('writes nothing when nothing finished beyond the position, and reads foreign or empty metadata as none', () => {
    expect(encodeDoneMarks(5n, [])).toBe('');
    expect(decodeDoneMarks(5n, '')).toEqual([]);
    expect(decodeDoneMarks(5n, null)).toEqual([]);
    expect(decodeDoneMarks(5n, 'some other client')).toEqual([]);
  });

  it('keeps to its budget by leaving out the farthest runs', () => {
    const done = Array.from({ length: 2_000 }, (_, i) => BigInt(2 * i + 1));
    const text = encodeDoneMarks(0n, done, 100);
    expect(text.length).toBeLessThanOrEqual(100);
    const decoded = decodeDoneMarks(0n, text);
    expect(decoded.length).toBeGreaterThan(10);
    expect(decoded).toEqual(done.slice(0, decoded.length));
  });

  it('handles offsets beyond 2^53', () => {
    const base = 2n ** 60n;
    const done = [base + 3n, base + 4n, base + 99n];
    expect(decodeDoneMarks(base, encodeDoneMarks(base, done))).toEqual(done);
  });

  it('names the problem in kfaas metadata that does not parse', () => {
    expect(() => decodeDoneMarks(0n, 'kfaas-done:1:2.3,zz')).toThrow(/run "zz" is not gap.length/);
    expect(() => decodeDoneMarks(0n, 'kfaas-done:1:2.0')).toThrow(/has length 0/);
  });
});
