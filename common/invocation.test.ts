import { DEFAULT_POLICY } from './delivery-policy.js';
import { deadLetterOf } from './queue.js';
import {
  decodeDeadLetter,
  decodeInvocation,
  encodeDeadLetter,
  encodeInvocation,
  EnvelopeDecodeError,
  type Invocation,
} from './invocation.js';

function anInvocation(overrides: Partial<Invocation> = {}): Invocation {
  return {
    version: 1,
    callId: 'call-1',
    function: 'echo',
    namespace: 'openfaas-fn',
    method: 'POST',
    path: '/a/b',
    rawQuery: 'x=1&y=%20',
    headers: { 'content-type': 'application/octet-stream', 'x-multi': ['a', 'b'] },
    body: Buffer.from([0, 1, 2, 255, 254, 10, 13]),
    callbackUrl: 'http://127.0.0.1:9/cb',
    enqueuedAt: 1_700_000_000_000,
    attempt: 0,
    policy: DEFAULT_POLICY,
    ...overrides,
  };
}

describe('invocation codec', () => {
  it('round-trips every field and binary bodies byte for byte', () => {
    const inv = anInvocation();
    const decoded = decodeInvocation(encodeInvocation(inv));
    expect(decoded).toEqual(inv);
    expect(decoded.body.equals(inv.body)).toBe(true);
  });

  it('round-trips a stored result with a binary body', () => {
    const inv = anInvocation({
      result: { status: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71, 0]), durationMs: 12, startedAt: 5 },
      callbackAttempt: 2,
    });
    const decoded = decodeInvocation(encodeInvocation(inv));
    expect(decoded.result?.body.equals(inv.result!.body)).toBe(true);
    expect(decoded).toEqual(inv);
  });

  it('adds only a small fixed overhead to the body', () => {
    const body = Buffer.alloc(1024 * 1024, 7);
    const encoded = encodeInvocation(anInvocation({ body }));
    expect(encoded.length - body.length).toBeLessThan(2048);
  });

  it.each([
    ['empty', Buffer.alloc(0), /empty/],
    ['no magic', Buffer.from('{"callId":"x"}'), /magic/],
    ['bad version', Buffer.from([0x4b, 0x46, 9, 0, 0, 0, 0]), /version 9/],
    ['truncated', Buffer.from([0x4b, 0x46, 1, 0, 0, 1, 0, 0x7b]), /exceeds/],
    ['bad json', Buffer.concat([Buffer.from([0x4b, 0x46, 1, 0, 0, 0, 3]), Buffer.from('{x}')]), /not valid JSON/],
  ])('rejects a record that is %s', (_label, value, message) => {
    expect(() => decodeInvocation(value)).toThrow(EnvelopeDecodeError);
    expect(() => decodeInvocation(value)).toThrow(message);
  });

  it('names a missing field', () => {
    const json = Buffer.from(JSON.stringify({ callId: 'x' }));
    const prefix = Buffer.from([0x4b, 0x46, 1, 0, 0, 0, 0]);
    prefix.writeUInt32BE(json.length, 3);
    expect(() => decodeInvocation(Buffer.concat([prefix, json]))).toThrow(/"function"/);
  });
});

describe('dead letter codec', () => {
  it('round-trips with and without the original envelope', () => {
    const withInv = { reason: 'max_attempts' as const, attempts: 3, lastStatus: 500, deadAt: 1, invocation: anInvocation() };
    expect(decodeDeadLetter(encodeDeadLetter(withInv))).toEqual(withInv);
    const raw = { reason: 'undecodable' as const, attempts: 0, deadAt: 2, error: 'bad', rawBase64: 'AAE=' };
    expect(decodeDeadLetter(encodeDeadLetter(raw))).toEqual(raw);
  });
});

describe('deadLetterOf', () => {
  it('records the decision with the attempts made and the original call', () => {
    const inv = anInvocation({ attempt: 3 });
    expect(deadLetterOf({ action: 'dead-letter', reason: 'max_attempts', invocation: inv, lastStatus: 500, error: 'boom' }, 42)).toEqual({
      reason: 'max_attempts',
      attempts: 3,
      lastStatus: 500,
      error: 'boom',
      deadAt: 42,
      invocation: inv,
    });
  });
});
