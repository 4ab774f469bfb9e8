import { watchdogEnv } from './local-function.js';

describe('watchdogEnv (kfaas up)', () => {
  it('keeps an exec_timeout given as an environment variable instead of overwriting it with the default', () => {
    const env = watchdogEnv({ name: 'f', image: 'i', handler: 'cat', environment: { exec_timeout: '2m' } }, { PATH: '/bin' });
    expect(env).toMatchObject({ PATH: '/bin', fprocess: 'cat', mode: 'fork', exec_timeout: '2m', read_timeout: '30s', write_timeout: '30s' });
  });

  it('lets the timeouts field win over the environment entry', () => {
    const env = watchdogEnv({ name: 'f', image: 'i', handler: 'cat', environment: { exec_timeout: '2m' }, timeouts: { exec: '5s' } }, {});
    expect(env['exec_timeout']).toBe('5s');
  });
});
