import type { V1Pod } from '@kubernetes/client-node';
import type { LogLine } from '../../ports.js';
import { functionContainer, hasStarted, mergeByTime, noStartedPodsMessage, podLogLine } from './pod-log-lines.js';

const pod = (name: string, status: V1Pod['status'], containers = ['fn']): V1Pod => ({
  metadata: { name },
  spec: { containers: containers.map((c) => ({ name: c })) },
  status,
});

describe('pod log helpers', () => {
  it.each([
    [{ phase: 'Pending' }, false],
    [{ phase: 'Pending', containerStatuses: [{ name: 'fn', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }, false],
    [{ phase: 'Running' }, true],
    [{ phase: 'Failed' }, true],
    [{ phase: 'Pending', containerStatuses: [{ name: 'fn', image: 'i', imageID: '', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }] }, true],
    [undefined, false],
  ] as Array<[V1Pod['status'], boolean]>)('hasStarted(%j) is %s', (status, started) => {
    expect(hasStarted(pod('p', status))).toBe(started);
  });

  it('says why no pod can serve logs', () => {
    expect(noStartedPodsMessage('fn', 'ns', [])).toBe(
      'no pods exist for function fn.ns (label faas_function=fn); logs come from the Kubernetes pod log API once a pod has started',
    );
    const pending = [
      pod('a', { phase: 'Pending' }),
      pod('b', { phase: 'Pending' }),
      pod('c', { phase: 'Pending', containerStatuses: [{ name: 'fn', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] }),
    ];
    expect(noStartedPodsMessage('fn', 'ns', pending)).toBe(
      'no started pods for function fn.ns (2 Pending, 1 ImagePullBackOff); logs come from the Kubernetes pod log API once a pod has started',
    );
    expect(noStartedPodsMessage('fn', 'ns', [], 'fn-abc')).toMatch(/^no pods exist for pod fn-abc of function fn\.ns/);
  });

  it('reads the container named like the function, else the first', () => {
    expect(functionContainer(pod('p', undefined, ['sidecar', 'fn']), 'fn')).toBe('fn');
    expect(functionContainer(pod('p', undefined, ['main']), 'fn')).toBe('main');
    expect(functionContainer(pod('p', undefined, []), 'fn')).toBeUndefined();
  });

  it('splits the kubelet timestamp from the text', () => {
    const meta = { name: 'fn', namespace: 'ns', instance: 'fn-abc' };
    expect(podLogLine('2024-05-01T10:00:00.123456789Z Forking fprocess.', meta, 'fallback')).toEqual({
      ...meta,
      timestamp: '2024-05-01T10:00:00.123Z',
      text: 'Forking fprocess.',
    });
    expect(podLogLine('2024-05-01T12:00:00+02:00 two  spaces\r', meta, 'fallback')).toMatchObject({ timestamp: '2024-05-01T10:00:00.000Z', text: 'two  spaces' });
    expect(podLogLine('no stamp here', meta, '2024-01-01T00:00:00.000Z')).toMatchObject({ timestamp: '2024-01-01T00:00:00.000Z', text: 'no stamp here' });
    expect(podLogLine('2024-05-01T10:00:00Z', meta, 'fallback')).toMatchObject({ timestamp: '2024-05-01T10:00:00.000Z', text: '' });
  });

  it('merges pods in time order and keeps the newest tail', () => {
    const at = (instance: string, second: number, text: string): LogLine => ({ name: 'fn', namespace: 'ns', instance, timestamp: `2024-05-01T10:00:0${second}.000Z`, text });
    const a = [at('a', 1, 'a1'), at('a', 3, 'a3'), at('a', 3, 'a3b')];
    const b = [at('b', 2, 'b2'), at('b', 3, 'b3'), at('b', 5, 'b5')];
    expect(mergeByTime([a, b]).map((l) => l.text)).toEqual(['a1', 'b2', 'a3', 'a3b', 'b3', 'b5']);
    expect(mergeByTime([a, b], 2).map((l) => l.text)).toEqual(['b3', 'b5']);
    expect(mergeByTime([a, b], 0).map((l) => l.text)).toHaveLength(6);
  });
});
