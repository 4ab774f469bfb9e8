import { createJsonLogger } from './json-logger.js';

function capture(level: string, pretty = false): { lines: string[]; logger: ReturnType<typeof createJsonLogger> } {
  const lines: string[] = [];
  const logger = createJsonLogger({ level, pretty, defaultMeta: { component: 'watchdog' }, write: (line) => lines.push(line) });
  return { lines, logger };
}

describe('json logger', () => {
  it('writes one JSON record per line with level, message, metadata and an ISO timestamp', () => {
    const { lines, logger } = capture('info');
    logger.child({ callId: 'c1' }).info('Forking fprocess.', { stream: 'stderr' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toEqual({ component: 'watchdog', callId: 'c1', stream: 'stderr', level: 'info', message: 'Forking fprocess.', timestamp: expect.any(String) });
    expect(new Date(String(record['timestamp'])).toISOString()).toBe(record['timestamp']);
  });

  it('filters by level as winston does', () => {
    const { lines, logger } = capture('warn');
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    logger.log('error', 'shown too');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['shown', 'shown too']);
    expect(logger.isInfoEnabled()).toBe(false);
    expect(capture('debug').logger.isInfoEnabled()).toBe(true);
  });

  it('redacts secret-looking fields and keeps a nested Error readable', () => {
    const { lines, logger } = capture('info');
    logger.error('failed', { token: 'abc', err: Object.assign(new Error('boom'), { code: 'EBOOM' }) });
    const record = JSON.parse(lines[0]!) as { token: string; err: Record<string, unknown> };
    expect(record.token).toBe('[redacted]');
    expect(record.err).toMatchObject({ name: 'Error', message: 'boom', code: 'EBOOM' });
    expect(String(record.err['stack'])).toContain('boom');
  });

  it('writes the pretty line of the root logger', () => {
    const { lines, logger } = capture('info', true);
    logger.info('Listening on port: 8080', { port: 8080 });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z info \[watchdog\] Listening on port: 8080 port=8080\n$/);
  });

  it('refuses an unknown level, naming it', () => {
    expect(() => createJsonLogger({ level: 'loud' })).toThrow('unknown log level "loud"');
  });
});
