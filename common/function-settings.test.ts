import { effectivePlatformSettings } from './function-settings.js';

describe('effectivePlatformSettings', () => {
  it('takes a spec field first, then the environment entry, then the default, naming where each came from', () => {
    const settings = effectivePlatformSettings({
      name: 'f',
      image: 'i',
      environment: { exec_timeout: '2m', read_timeout: '10s', fprocess: 'cat', mode: 'http' },
      timeouts: { read: '5s' },
      mode: 'fork',
    });
    expect(settings).toEqual({
      handler: 'cat',
      mode: 'fork',
      timeouts: { read: '5s', write: '30s', exec: '2m' },
      sources: {
        handler: 'spec.environment.fprocess',
        mode: 'spec.mode',
        read: 'spec.timeouts.read',
        write: 'default of spec.timeouts.write',
        exec: 'spec.environment.exec_timeout',
      },
    });
  });
});
