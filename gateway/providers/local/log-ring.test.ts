import type { LogLine } from '../../ports.js';
import { LogRing, readRing } from './log-ring.js';

const line = (text: string, timestamp = new Date().toISOString()): LogLine => ({ name: 'f', namespace: 'ns', instance: 'f-0', timestamp, text });

async function collect(iterable: AsyncIterable<LogLine>, max = Infinity): Promise<string[]> {
  const out: string[] = [];
  for await (const l of iterable) {
    out.push(l.text);
    if (out.length >= max) break;
  }
  return out;
}

describe('LogRing', () => {
  it('keeps only the newest lines, oldest first', () => {
    const ring = new LogRing(3);
    for (const t of ['a', 'b', 'c', 'd', 'e']) ring.push(line(t));
    expect(ring.snapshot().map((l) => l.text)).toEqual(['c', 'd', 'e']);
  });

  it('reads a tail and lines since a time', async () => {
    const ring = new LogRing(10);
    ring.push(line('old', '2024-01-01T00:00:00Z'));
    ring.push(line('new1', '2024-01-02T00:00:00Z'));
    ring.push(line('new2', '2024-01-03T00:00:00Z'));
    const signal = new AbortController().signal;
    expect(await collect(readRing(ring, { follow: false, signal, tail: 2 }))).toEqual(['new1', 'new2']);
    expect(await collect(readRing(ring, { follow: false, signal, sinceMs: Date.parse('2024-01-02T00:00:00Z') }))).toEqual(['new1', 'new2']);
    expect(await collect(readRing(ring, { follow: false, signal, tail: 0 }))).toEqual([]);
  });

  it('keeps only one instance when asked, before taking the tail and while following', async () => {
    const ring = new LogRing(10);
    const of = (instance: string, text: string): LogLine => ({ ...line(text), instance });
    for (const [instance, text] of [['f-0', 'a'], ['f-1', 'b'], ['f-0', 'c'], ['f-1', 'd']] as const) ring.push(of(instance, text));
    const abort = new AbortController();
    expect(await collect(readRing(ring, { follow: false, signal: abort.signal, instance: 'f-1', tail: 1 }))).toEqual(['d']);
    const reading = collect(readRing(ring, { follow: true, signal: abort.signal, instance: 'f-0' }));
    await new Promise((resolve) => setImmediate(resolve));
    ring.push(of('f-1', 'not mine'));
    ring.push(of('f-0', 'mine'));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    expect(await reading).toEqual(['a', 'c', 'mine']);
  });

  it('follows new lines until aborted', async () => {
    const ring = new LogRing(10);
    ring.push(line('before'));
    const abort = new AbortController();
    const reading = collect(readRing(ring, { follow: true, signal: abort.signal }));
    await new Promise((resolve) => setImmediate(resolve));
    ring.push(line('after1'));
    ring.push(line('after2'));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    expect(await reading).toEqual(['before', 'after1', 'after2']);
  });
});
