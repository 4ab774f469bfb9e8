import { aFunction, withAnnotation, withEnv, withLabel, withMetadata, withSecrets } from '../testing/fixtures.js';
import { parseConstraint, validateFunction } from './validate-function.js';

describe('validateFunction', () => {
  it('accepts a minimal and a full function', () => {
    expect(validateFunction(aFunction())).toEqual([]);
    const full = aFunction(
      {
        handler: 'node index.js',
        mode: 'http',
        replicas: 0,
        timeouts: { read: '10s', write: '1m', exec: '45' },
        limits: { cpu: '1', memory: '1Gi' },
        requests: { cpu: '500m', memory: '1024Mi' },
        readOnlyRootFilesystem: true,
        constraints: ['kubernetes.io/arch=amd64'],
        queue: 'slow-jobs',
        retry: { maxAttempts: 5, minBackoff: '1s', maxBackoff: '1m' },
        maxEventAge: '1h',
      },
      withEnv('A_B', '1'),
      withLabel('com.openfaas.scale.min', '2'),
      withAnnotation('example.com/x', 'y'),
      withSecrets('db-creds'),
    );
    expect(validateFunction(full)).toEqual([]);
  });

  it.each([
    ['a name starting with a digit', aFunction({ name: '1fn' }), 'metadata.name: "1fn" must be a DNS-1035 label'],
    ['spec.name different from metadata.name', aFunction({}, withMetadata({ name: 'other' })), 'spec.name: "echo" must equal metadata.name "other"'],
    ['an image with spaces', aFunction({ image: 'a b' }), 'spec.image: "a b" must be a non-empty image reference'],
    ['a bad read timeout', aFunction({ timeouts: { read: '10 s' } }), 'spec.timeouts.read: invalid duration "10 s"'],
    ['a zero write timeout', aFunction({ timeouts: { write: '0s' } }), 'spec.timeouts.write: must be greater than 0'],
    ['a bad exec timeout in environment', aFunction({}, withEnv('exec_timeout', 'soon')), 'spec.environment.exec_timeout: invalid duration "soon"'],
    ['an unknown mode in environment', aFunction({}, withEnv('mode', 'turbo')), 'spec.environment.mode: "turbo" must be one of fork, http, serializing, streaming'],
    ['a bad retry backoff', aFunction({ retry: { minBackoff: 'x' } }), 'spec.retry.minBackoff: invalid duration "x"'],
    ['backoffs out of order', aFunction({ retry: { minBackoff: '10s', maxBackoff: '1s' } }), 'spec.retry.maxBackoff: must not be below retry.minBackoff'],
    ['zero attempts', aFunction({ retry: { maxAttempts: 0 } }), 'spec.retry.maxAttempts: must be an integer >= 1'],
    ['a bad max event age', aFunction({ maxEventAge: 'forever' }), 'spec.maxEventAge: invalid duration "forever"'],
    ['a bad quantity', aFunction({ limits: { memory: '1GB' } }), 'spec.limits.memory: invalid quantity "1GB"'],
    ['requests above limits', aFunction({ limits: { cpu: '100m' }, requests: { cpu: '0.2' } }), 'spec.requests.cpu: 0.2 must not exceed spec.limits.cpu 100m'],
    ['a constraint without =', aFunction({ constraints: ['disk'] }), 'spec.constraints[0]: must have the form key=value'],
    ['a bad label key', aFunction({}, withLabel('bad key', 'v')), 'spec.labels: key "bad key": name part must be'],
    ['a bad label value', aFunction({}, withLabel('k', 'v v')), 'spec.labels.k: value "v v" must be at most 63 characters'],
    ['a reserved label', aFunction({}, withLabel('faas_function', 'other')), 'spec.labels.faas_function: is set by the operator to "echo"'],
    ['a bad scale.min', aFunction({}, withLabel('com.openfaas.scale.min', 'two')), 'spec.labels.com.openfaas.scale.min: "two" must be a whole number'],
    ['a bad annotation key', aFunction({}, withAnnotation('-x', 'v')), 'spec.annotations: key "-x"'],
    ['a bad env name', aFunction({}, withEnv('1A', 'v')), 'spec.environment: "1A" is not a valid variable name'],
    ['a bad secret name', aFunction({}, withSecrets('Bad_Name')), 'spec.secrets[0]: "Bad_Name" is not a valid Secret name'],
    ['a duplicated secret', aFunction({}, withSecrets('a', 'a')), 'spec.secrets[1]: "a" is listed twice'],
    ['a bad queue', aFunction({ queue: 'Bad.Queue' }), 'spec.queue: queue name "Bad.Queue" must be a DNS-1123 label'],
    ['negative replicas', aFunction({ replicas: -1 }), 'spec.replicas: -1 must be a whole number >= 0'],
    ['fractional replicas', aFunction({ replicas: 1.5 }), 'spec.replicas: 1.5 must be a whole number >= 0'],
  ])('rejects %s', (_label, fn, message) => {
    const problems = validateFunction(fn);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('reports a missing spec instead of failing on it', () => {
    const fn = { ...aFunction(), spec: undefined } as unknown as ReturnType<typeof aFunction>;
    expect(validateFunction(fn)).toEqual(['spec: missing; a Function needs at least spec.name and spec.image']);
  });

  it('reports every problem at once', () => {
    expect(validateFunction(aFunction({ image: '', replicas: -2, timeouts: { read: 'x' } }))).toHaveLength(3);
  });
});

describe('parseConstraint', () => {
  it.each([
    ['a=b', { key: 'a', value: 'b' }],
    [' node.kubernetes.io/instance-type = m5.large ', { key: 'node.kubernetes.io/instance-type', value: 'm5.large' }],
    ['empty=', { key: 'empty', value: '' }],
  ])('%j', (text, expected) => {
    expect(parseConstraint(text)).toEqual(expected);
  });
});
