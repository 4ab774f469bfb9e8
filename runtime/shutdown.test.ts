import { EventEmitter } from 'node:events';
import winston from 'winston';
import { exitOnSignals, type SignalTarget } from './shutdown.js';

function fakeProcess(): SignalTarget & { codes: number[]; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const codes: number[] = [];
  return {
    emitter,
    codes,
    on: (event, listener) => emitter.on(event, listener),
    once: (event, listener) => emitter.once(event, listener),
    exit: (code) => void codes.push(code),
  };
}

const logger = winston.createLogger({ silent: true });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('exitOnSignals', () => {
  it('closes once and exits 0, ignoring later signals', async () => {
    const target = fakeProcess();
    let closes = 0;
    exitOnSignals({ logger, action: 'draining', target, close: async () => void closes++ });
    target.emitter.emit('SIGTERM', 'SIGTERM');
    target.emitter.emit('SIGINT', 'SIGINT');
    target.emitter.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(closes).toBe(1);
    expect(target.codes).toEqual([0]);
    expect(target.emitter.listenerCount('SIGTERM')).toBe(1);
  });

  it('exits 1 when closing fails', async () => {
    const target = fakeProcess();
    exitOnSignals({ logger, action: 'stopping', target, close: () => Promise.reject(new Error('stuck')) });
    target.emitter.emit('SIGINT', 'SIGINT');
    await settle();
    expect(target.codes).toEqual([1]);
  });

  it('leaves a second signal to Node when asked (a user pressing Ctrl-C twice)', () => {
    const target = fakeProcess();
    exitOnSignals({ logger, action: 'stopping', target, forceOnSecondSignal: true, close: () => new Promise(() => undefined) });
    target.emitter.emit('SIGINT', 'SIGINT');
    expect(target.emitter.listenerCount('SIGINT')).toBe(0);
  });

  it('returns a trigger that shares the once-only shutdown', async () => {
    const target = fakeProcess();
    let closes = 0;
    const stop = exitOnSignals({ logger, action: 'draining', target, close: async () => void closes++ });
    stop('parent exit');
    target.emitter.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(closes).toBe(1);
  });
});
