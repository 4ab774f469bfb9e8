/**
 * The versioned async invocation envelope and its binary-safe codec. One record carries one call; the body
 * travels as raw bytes after a JSON header, so a 1 MiB body stays a ~1 MiB record (base64 would add a third).
 *
 * Wire format v1: magic "KF" | version byte (1) | uint32 BE header length | header JSON (utf-8) | body bytes.
 */
import type { DeliveryPolicy } from './delivery-policy.js';

/** The envelope version this code writes. */
export const ENVELOPE_VERSION = 1;

/** The final HTTP outcome of an invocation, kept in the envelope while its callback is being delivered. */
export interface InvocationResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly durationMs: number;
  /** Epoch ms when the last attempt started. */
  readonly startedAt: number;
  /** True when no function answered (network error, timeout): the callback reports 503 as OpenFaaS does. */
  readonly failed?: boolean;
}

/** One queued call. */
export interface Invocation {
  readonly version: number;
  readonly callId: string;
  readonly function: string;
  readonly namespace: string;
  readonly method: string;
  /** The sub-path the function sees, always starting with `/`. */
  readonly path: string;
  /** The raw query string without `?`, possibly empty. */
  readonly rawQuery: string;
  /** Request headers minus hop-by-hop ones; multi-valued headers keep every value. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
  readonly callbackUrl?: string;
  /** Epoch ms when the gateway accepted the call. */
  readonly enqueuedAt: number;
  /** Invocation attempts already made (0 for a fresh call). */
  readonly attempt: number;
  readonly policy: DeliveryPolicy;
  /** Dedicated queue name, when the function has one. */
  readonly queue?: string;
  /** Kafka record key override for opt-in per-key ordering. */
  readonly orderingKey?: string;
  /** Epoch ms before which a retry must not run. */
  readonly notBefore?: number;
  /** Epoch ms the caller delayed the call until (X-Delay, X-Not-Before); its maximum age counts from then. */
  readonly delayedUntil?: number;
  /** Times the call was taken back from the dead letters and run again. */
  readonly redrives?: number;
  /**
   * Times a worker put the call back in the queue, unrun, because its function already had a full round of
   * calls waiting (fairness between functions); not attempts.
   */
  readonly deferrals?: number;
  /** Set once the invocation outcome is final and only the callback remains to deliver. */
  readonly result?: InvocationResult;
  /** Callback delivery attempts already made. */
  readonly callbackAttempt?: number;
  /** Status of the last failed attempt, for the dead letter. */
  readonly lastStatus?: number;
  readonly lastError?: string;
}

/** Why a call ended in the dead-letter queue. */
export type DeadLetterReason =
  | 'max_attempts'
  | 'max_event_age'
  | 'not_retriable'
  | 'undecodable'
  | 'callback_failed'
  /** The callback's host, or an address it resolved to, is refused by the callback policy. */
  | 'callback_refused'
  | 'function_not_found';

/** A dead letter: the original call (when decodable) plus why it failed. */
export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly attempts: number;
  readonly lastStatus?: number;
  readonly error?: string;
  readonly deadAt: number;
  /** The original envelope, absent when the record could not be decoded. */
  readonly invocation?: Invocation;
  /** The raw record, base64, when it could not be decoded. */
  readonly rawBase64?: string;
}

/** Raised for a record that is not a valid envelope; the worker dead-letters it and carries on. */
export class EnvelopeDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeDecodeError';
  }
}

const MAGIC0 = 0x4b; // 'K'
const MAGIC1 = 0x46; // 'F'
const PREFIX_BYTES = 7;

type HeaderJson = Omit<Invocation, 'body' | 'result'> & {
  result?: Omit<InvocationResult, 'body'> & { bodyBase64: string };
};

/** Encodes an invocation to its binary record value. */
export function encodeInvocation(inv: Invocation): Buffer {
  const { body, result, ...rest } = inv;
  const header: HeaderJson = result
    ? { ...rest, result: { ...stripBody(result), bodyBase64: result.body.toString('base64') } }
    : rest;
  // One allocation, written in place: every accepted call is encoded, so the intermediate buffers showed up.
  const json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(PREFIX_BYTES + jsonBytes + body.length);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = ENVELOPE_VERSION;
  out.writeUInt32BE(jsonBytes, 3);
  out.write(json, PREFIX_BYTES, jsonBytes, 'utf8');
  body.copy(out, PREFIX_BYTES + jsonBytes);
  return out;
}

function stripBody(result: InvocationResult): Omit<InvocationResult, 'body'> {
  const { body: _body, ...rest } = result;
  return rest;
}

/** Decodes a record value; throws EnvelopeDecodeError naming what is wrong. */
export function decodeInvocation(value: Buffer | null | undefined): Invocation {
  if (!value || value.length < PREFIX_BYTES) throw new EnvelopeDecodeError('record is empty or shorter than the envelope prefix');
  if (value[0] !== MAGIC0 || value[1] !== MAGIC1) throw new EnvelopeDecodeError('record does not start with the kfaas envelope magic "KF"');
  if (value[2] !== ENVELOPE_VERSION) throw new EnvelopeDecodeError(`unsupported envelope version ${value[2]}`);
  const length = value.readUInt32BE(3);
  if (PREFIX_BYTES + length > value.length) throw new EnvelopeDecodeError('envelope header length exceeds the record');
  let header: HeaderJson;
  try {
    header = JSON.parse(value.subarray(PREFIX_BYTES, PREFIX_BYTES + length).toString('utf8')) as HeaderJson;
  } catch (err) {
    throw new EnvelopeDecodeError(`envelope header is not valid JSON: ${(err as Error).message}`);
  }
  const problem = headerProblem(header);
  if (problem) throw new EnvelopeDecodeError(problem);
  const body = Buffer.from(value.subarray(PREFIX_BYTES + length));
  const { result, ...rest } = header;
  if (!result) return { ...rest, body };
  const { bodyBase64, ...resultRest } = result;
  return { ...rest, body, result: { ...resultRest, body: Buffer.from(bodyBase64, 'base64') } };
}

function headerProblem(h: HeaderJson): string | undefined {
  if (typeof h !== 'object' || h === null) return 'envelope header is not an object';
  for (const key of ['callId', 'function', 'namespace', 'method', 'path', 'rawQuery'] as const) {
    if (typeof h[key] !== 'string') return `envelope field "${key}" must be a string`;
  }
  if (typeof h.enqueuedAt !== 'number') return 'envelope field "enqueuedAt" must be a number';
  if (typeof h.attempt !== 'number') return 'envelope field "attempt" must be a number';
  if (typeof h.headers !== 'object' || h.headers === null) return 'envelope field "headers" must be an object';
  const p = h.policy as Partial<DeliveryPolicy> | undefined;
  if (!p || typeof p.execTimeoutMs !== 'number' || typeof p.maxAttempts !== 'number') {
    return 'envelope field "policy" is missing or incomplete';
  }
  if (h.callbackUrl !== undefined && typeof h.callbackUrl !== 'string') return 'envelope field "callbackUrl" must be a string';
  return undefined;
}

/** Encodes a dead letter as JSON (bodies base64), for the dead-letter topic or table. */
export function encodeDeadLetter(dl: DeadLetter): Buffer {
  const { invocation, ...rest } = dl;
  return Buffer.from(
    JSON.stringify({ ...rest, envelopeBase64: invocation ? encodeInvocation(invocation).toString('base64') : undefined }),
    'utf8',
  );
}

/** Decodes a dead letter written by encodeDeadLetter. */
export function decodeDeadLetter(value: Buffer): DeadLetter {
  const parsed = JSON.parse(value.toString('utf8')) as Omit<DeadLetter, 'invocation'> & { envelopeBase64?: string };
  const { envelopeBase64, ...rest } = parsed;
  return envelopeBase64 ? { ...rest, invocation: decodeInvocation(Buffer.from(envelopeBase64, 'base64')) } : rest;
}
