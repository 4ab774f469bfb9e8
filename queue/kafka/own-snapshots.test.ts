import { describe, expect, it } from '@jest/globals';
import { encodeCallStatus, type CallStatus } from '../../common/call-status.js';
import { createOwnSnapshots } from './own-snapshots.js';

const queued = (callId: string): CallStatus =>
  ({ callId, function: 'fn', namespace: 'ns', state: 'queued', attempts: 0, enqueuedAt: 1, updatedAt: 1 }) as CallStatus;

describe('createOwnSnapshots', () => {
  it('serves a held snapshot until its own record is read back', () => {
    const own = createOwnSnapshots();
    const a = queued('a');
    own.hold(a, encodeCallStatus(a), 0);
    expect(own.get('a')).toBe(a);
    const back = own.readBack('a', encodeCallStatus(a));
    expect(back?.status).toBe(a);
    expect(back?.value).toEqual(encodeCallStatus(a));
    expect(own.get('a')).toBeUndefined();
    expect(own.size).toBe(0);
  });

  it('reads back a held snapshot from a range of a larger buffer (a line of a bundle), and only the exact range', () => {
    const own = createOwnSnapshots();
    const a = queued('a');
    own.hold(a, encodeCallStatus(a), 0);
    const line = encodeCallStatus(a);
    const bundle = Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]);
    expect(own.readBack('a', bundle, 3, 3 + line.length - 1)).toBeUndefined();
    expect(own.readBack('a', bundle, 2, 2 + line.length)).toBeUndefined();
    expect(own.readBack('a', bundle, 3, 3 + line.length)?.status).toBe(a);
    expect(own.size).toBe(0);
  });

  it('keeps the snapshot when another record of the call is read (not its own bytes)', () => {
    const own = createOwnSnapshots();
    const a = queued('a');
    own.hold(a, encodeCallStatus(a), 0);
    expect(own.readBack('a', encodeCallStatus({ ...a, state: 'running', updatedAt: 2 }))).toBeUndefined();
    expect(own.get('a')).toBe(a);
    expect(own.readBack('b', encodeCallStatus(a))).toBeUndefined();
    own.release('a');
    expect(own.get('a')).toBeUndefined();
  });

  it('hands back the snapshots held too long, oldest first, and only those', () => {
    const own = createOwnSnapshots();
    for (const [id, at] of [['a', 10], ['b', 20], ['c', 30]] as const) own.hold(queued(id), encodeCallStatus(queued(id)), at);
    expect(own.takeOlderThan(25).map((s) => s.callId)).toEqual(['a', 'b']);
    expect(own.size).toBe(1);
    expect(own.takeOlderThan(Infinity).map((s) => s.callId)).toEqual(['c']);
    expect(own.size).toBe(0);
  });
});
