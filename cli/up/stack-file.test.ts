import { parseStack, StackFileError } from './stack-file.js';

describe('parseStack', () => {
  it('reads functions with CRD spec field names', () => {
    const stack = parseStack(
      `functions:\n  echo:\n    handler: cat\n    mode: fork\n    timeouts: {exec: 5s}\n    retry: {maxAttempts: 4, minBackoff: 500ms}\n`,
      '/tmp/s/stack.yaml',
    );
    expect(stack.workingDir).toBe('/tmp/s');
    expect(stack.functions).toEqual([
      { name: 'echo', image: 'local/echo', handler: 'cat', mode: 'fork', timeouts: { exec: '5s' }, retry: { maxAttempts: 4, minBackoff: '500ms' } },
    ]);
  });

  it.each([
    ['functions: [', 'stack.yaml: not valid YAML'],
    ['fns: {}', 'stack.yaml: functions: is required'],
    ['functions: {}\nfns: {}', 'stack.yaml: fns: unknown field'],
    ['functions:\n  echo: {mode: fork}', 'stack.yaml: functions.echo.handler: is required'],
    ['functions:\n  echo: {handler: cat, mode: thread}', 'stack.yaml: functions.echo.mode: must be one of "fork", "http", "serializing", "streaming"'],
    ['functions:\n  echo: {handler: cat, timeout: 5s}', 'stack.yaml: functions.echo.timeout: unknown field'],
    ['functions:\n  echo: {handler: cat, timeouts: {exec: soon}}', 'stack.yaml: functions.echo.timeouts.exec: invalid duration "soon"'],
    ['functions:\n  Echo: {handler: cat}', 'stack.yaml: functions.Echo: function name must be a DNS-1123 label'],
    ['functions:\n  echo: {handler: cat, replicas: -1}', 'stack.yaml: functions.echo.replicas: must be >= 0'],
    ['functions:\n  echo: {handler: cat, retry: {minBackoff: 5s, maxBackoff: 1s}}', 'stack.yaml: functions.echo.retry.maxBackoff: must not be below'],
    ['functions:\n  echo: {handler: cat, queue: Big_Queue}', 'stack.yaml: functions.echo.queue: queue name "Big_Queue" must be a DNS-1123 label'],
  ])('rejects %j naming the field', (text, message) => {
    expect(() => parseStack(text, 'stack.yaml')).toThrow(StackFileError);
    expect(() => parseStack(text, 'stack.yaml')).toThrow(message);
  });
});
