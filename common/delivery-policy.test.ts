import { DEFAULT_POLICY, policyFromSpec } from './delivery-policy.js';
import { ValidationError } from './errors.js';

describe('policyFromSpec', () => {
  it('applies defaults when the spec sets nothing', () => {
    expect(policyFromSpec({ name: 'f', image: 'i' })).toEqual(DEFAULT_POLICY);
  });

  it('reads timeouts, retry and max event age', () => {
    const policy = policyFromSpec({
      name: 'f',
      image: 'i',
      timeouts: { exec: '10m' },
      retry: { maxAttempts: 5, minBackoff: '100ms', maxBackoff: '2s' },
      maxEventAge: '1h',
    });
    expect(policy).toMatchObject({ execTimeoutMs: 600_000, maxAttempts: 5, minBackoffMs: 100, maxBackoffMs: 2_000, maxEventAgeMs: 3_600_000 });
  });

  // The seed's way to set timeouts: as environment variables. The policy's exec timeout (the gateway's sync
  // deadline, the async envelope, the worker) must be the one the watchdog gets.
  it('takes the exec timeout from environment.exec_timeout, with timeouts.exec winning when both are set', () => {
    expect(policyFromSpec({ name: 'f', image: 'i', environment: { exec_timeout: '2m' } }).execTimeoutMs).toBe(120_000);
    expect(policyFromSpec({ name: 'f', image: 'i', environment: { exec_timeout: '2m' }, timeouts: { exec: '5s' } }).execTimeoutMs).toBe(5_000);
  });

  it.each([
    [{ environment: { exec_timeout: 'later' } }, /environment.exec_timeout: invalid duration "later"/],
    [{ retry: { maxAttempts: 0 } }, /retry.maxAttempts/],
    [{ retry: { minBackoff: 'soon' } }, /retry.minBackoff: invalid duration "soon"/],
    [{ retry: { minBackoff: '5s', maxBackoff: '1s' } }, /retry.maxBackoff: must not be below/],
    [{ timeouts: { exec: '1.5' } }, /timeouts.exec/],
  ])('names the bad field in %j', (spec, message) => {
    expect(() => policyFromSpec({ name: 'f', image: 'i', ...spec })).toThrow(message);
  });

  it('throws a ValidationError carrying the field and the problem apart', () => {
    let caught: unknown;
    try {
      policyFromSpec({ name: 'f', image: 'i', retry: { minBackoff: '5s', maxBackoff: '1s' } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ field: 'retry.maxBackoff', problem: 'must not be below retry.minBackoff (1s < 5s)', code: 'INVALID_FIELD', statusCode: 400 });
  });
});
