import { loadConfig, WatchdogConfigError } from './config.js';

const base = { fprocess: 'cat' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      mode: 'fork',
      forkOutput: 'buffered',
      command: ['cat'],
      port: 8080,
      bindAddress: '127.0.0.1',
      upstream: undefined,
      readTimeoutMs: 30_000,
      writeTimeoutMs: 30_000,
      execTimeoutMs: 30_000,
      healthcheckIntervalMs: 30_000,
      maxInflight: 0,
      contentType: undefined,
      logLevel: 'info',
      logFormat: 'json',
    });
    expect(config.functionEnv).toEqual(base);
  });

  it.each([
    ['fork', 'fork', 'buffered'],
    ['serializing', 'fork', 'buffered'],
    ['streaming', 'fork', 'streamed'],
  ])('mode=%s runs as %s with %s output', (mode, expected, output) => {
    expect(loadConfig({ ...base, mode })).toMatchObject({ mode: expected, forkOutput: output });
  });

  it.each([
    ['read_timeout', '5', 'readTimeoutMs', 5_000],
    ['write_timeout', '1m30s', 'writeTimeoutMs', 90_000],
    ['exec_timeout', '500ms', 'execTimeoutMs', 500],
    ['exec_timeout', '0', 'execTimeoutMs', 0],
    ['healthcheck_interval', '2s', 'healthcheckIntervalMs', 2_000],
    ['upstream_start_timeout', '3s', 'upstreamStartTimeoutMs', 3_000],
  ] as const)('%s=%s sets %s', (key, value, field, ms) => {
    expect(loadConfig({ ...base, [key]: value })[field]).toBe(ms);
  });

  it('defaults healthcheck_interval to write_timeout', () => {
    expect(loadConfig({ ...base, write_timeout: '7s' }).healthcheckIntervalMs).toBe(7_000);
  });

  it('splits fprocess on whitespace without a shell, and accepts function_process', () => {
    expect(loadConfig({ fprocess: '  node  handler.js --flag ' }).command).toEqual(['node', 'handler.js', '--flag']);
    expect(loadConfig({ function_process: 'wc -w' }).command).toEqual(['wc', '-w']);
  });

  it('parses upstream_url (and its alias) for http mode', () => {
    expect(loadConfig({ ...base, mode: 'http', upstream_url: 'http://127.0.0.1:3000' }).upstream).toEqual({
      url: 'http://127.0.0.1:3000',
      host: '127.0.0.1',
      port: 3000,
      basePath: '',
    });
    expect(loadConfig({ ...base, mode: 'http', http_upstream_url: 'http://[::1]:4000/base/' }).upstream).toMatchObject({
      host: '::1',
      port: 4000,
      basePath: '/base',
    });
  });

  it('binds 0.0.0.0 by default inside a Kubernetes pod, and bind_address always wins', () => {
    expect(loadConfig({ ...base, KUBERNETES_SERVICE_HOST: '198.19.0.1' }).bindAddress).toBe('0.0.0.0');
    expect(loadConfig({ ...base, KUBERNETES_SERVICE_HOST: '198.19.0.1', bind_address: '127.0.0.1' }).bindAddress).toBe('127.0.0.1');
  });

  it('reads port, max_inflight, content_type and logging settings', () => {
    expect(
      loadConfig({ ...base, port: '0', max_inflight: '4', content_type: 'text/plain', log_level: 'debug', log_format: 'pretty' }),
    ).toMatchObject({ port: 0, maxInflight: 4, contentType: 'text/plain', logLevel: 'debug', logFormat: 'pretty' });
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...base, mode: 'http', upstream_url: 'http://127.0.0.1:3000' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.command)).toBe(true);
    expect(Object.isFrozen(config.upstream)).toBe(true);
    expect(Object.isFrozen(config.functionEnv)).toBe(true);
  });

  it.each([
    [{ exec_timeout: '10x' }, 'exec_timeout="10x"'],
    [{ read_timeout: '1.5' }, 'read_timeout="1.5"'],
    [{ write_timeout: 'soon' }, 'write_timeout="soon"'],
    [{ write_timeout: '0' }, 'write_timeout="0"'],
    [{ healthcheck_interval: '-1s' }, 'healthcheck_interval="-1s"'],
    [{ port: '80a' }, 'port="80a"'],
    [{ port: '70000' }, 'port="70000"'],
    [{ max_inflight: '-2' }, 'max_inflight="-2"'],
    [{ mode: 'static' }, 'mode="static"'],
    [{ mode: 'http' }, 'upstream_url'],
    [{ mode: 'http', upstream_url: 'localhost:3000' }, 'upstream_url="localhost:3000"'],
    [{ mode: 'http', upstream_url: 'https://127.0.0.1:3000' }, 'upstream_url="https://127.0.0.1:3000"'],
    [{ mode: 'http', upstream_url: 'http://127.0.0.1:0' }, 'upstream_url="http://127.0.0.1:0"'],
    [{ log_level: 'loud' }, 'log_level="loud"'],
    [{ fprocess: '   ' }, 'fprocess'],
  ])('rejects %j, naming %s', (env, named) => {
    const load = (): unknown => loadConfig({ ...base, ...env });
    expect(load).toThrow(WatchdogConfigError);
    expect(load).toThrow(named);
  });

  it('requires fprocess', () => {
    expect(() => loadConfig({})).toThrow('missing watchdog setting fprocess');
  });
});
