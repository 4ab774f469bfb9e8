/**
 * Queue ports. The gateway enqueues through InvocationQueue; the worker consumes through InvocationSource.
 * The Kafka adapter and the embedded (SQLite) adapter implement the same ports and pass one contract suite.
 */
import type { DeadLetter, DeadLetterReason, Invocation, InvocationResult } from './invocation.js';

/** Accepts calls durably: the promise resolves only once the call survives a crash of this process. */
export interface InvocationQueue {
  /** Stores the call; rejects with a QUEUE_UNAVAILABLE KfaasError when it could not be stored. */
  enqueue(invocation: Invocation): Promise<void>;
  /** Flushes and releases resources; idempotent. */
  close(): Promise<void>;
}

/** What to do with a call after one processing step; the source persists the decision before acknowledging. */
export type ProcessDecision =
  /**
   * Finished: acknowledge the record. `invocation` is the call as it ended (attempts, callback attempts) and
   * `result` the function's answer; both feed the call's status and are optional for handlers that know neither.
   */
  | { readonly action: 'complete'; readonly invocation?: Invocation; readonly result?: InvocationResult }
  /** Store the updated call (attempt, result or callbackAttempt advanced) to run again after delayMs. */
  | { readonly action: 'retry'; readonly invocation: Invocation; readonly delayMs: number }
  /** Give up: write a dead letter, then acknowledge. */
  | {
      readonly action: 'dead-letter';
      readonly reason: DeadLetterReason;
      readonly invocation: Invocation;
      readonly lastStatus?: number;
      readonly error?: string;
      /** The function's final answer, for the call's status (the dead letter itself does not keep it). */
      readonly result?: InvocationResult;
    };

/** Where a delivered call was read from, for traces (OpenTelemetry messaging attributes). */
export interface Delivery {
  /** `kafka`, or `kfaas-embedded` for the SQLite queue. */
  readonly system: string;
  /** Topic (Kafka) or queue table. */
  readonly destination: string;
  readonly partition?: number;
  /** Kafka offset, or the embedded row id. */
  readonly offset?: string;
}

/** Processes one call. It must not throw for function failures; a throw means an infrastructure fault. */
export type InvocationHandler = (invocation: Invocation, signal: AbortSignal, delivery?: Delivery) => Promise<ProcessDecision>;

/**
 * How many async calls of a function all workers together may run at once: ready replicas x per-replica
 * capacity. A Kafka source runs its consumer-group share of it, the embedded source all of it.
 */
export interface FunctionCapacity {
  /** The total for a function key (`name.namespace`); undefined = unbounded. Asking starts tracking the function. */
  total(fn: string): number | undefined;
  /** Calls `listener` whenever totals may have changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** What a source may be given at start. */
export interface SourceStartOptions {
  /** Per-function concurrency; without it only `maxInflight` bounds the calls. */
  readonly capacity?: FunctionCapacity;
}

/** Delivers stored calls to a handler, at most `maxInflight` at once, at least once each. */
export interface InvocationSource {
  /** Starts delivering; resolves once consuming has started. Undecodable records are dead-lettered by the source. */
  start(handler: InvocationHandler, options?: SourceStartOptions): Promise<void>;
  /** Stops fetching, lets in-flight calls finish up to the drain deadline, commits and releases; idempotent. */
  close(): Promise<void>;
}

/** Reads dead letters for operators of the platform. */
export interface DeadLetterReader {
  list(options?: { readonly limit?: number; readonly functionName?: string }): Promise<DeadLetter[]>;
}

/** Observes queue events for metrics; every method is optional. */
export interface QueueObserver {
  onStarted?(inv: Invocation): void;
  onDecision?(inv: Invocation, decision: ProcessDecision): void;
  onUndecodable?(error: Error): void;
  /** A call was put back in the queue unrun, because its function already had a full round waiting. */
  onDeferred?(inv: Invocation): void;
  onLag?(topic: string, partition: number, lag: number): void;
}

/** The dead letter a `dead-letter` decision stands for; both adapters store exactly this. */
export function deadLetterOf(decision: Extract<ProcessDecision, { action: 'dead-letter' }>, deadAt: number): DeadLetter {
  return {
    reason: decision.reason,
    attempts: decision.invocation.attempt,
    lastStatus: decision.lastStatus,
    error: decision.error,
    deadAt,
    invocation: decision.invocation,
  };
}
