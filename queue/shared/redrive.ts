/**
 * Dead-letter redrive over the queue ports, the same for Kafka and SQLite: read the dead letters, keep those
 * the selector names whose call's status still shows that dead letter (so a second redrive of the same
 * selection enqueues nothing again), and enqueue each call again with its id, attempts reset and a redrive
 * count. The dead letters themselves stay where they are, as history; the status shows the redrive.
 */
import {
  awaitsRedrive,
  redrivenInvocation,
  selects,
  type CallStatusReader,
  type DeadLetterRedriver,
  type RedriveSelector,
} from '../../common/call-status.js';
import type { DeadLetterReader, InvocationQueue } from '../../common/queue.js';

/** What a redriver works with. */
export interface RedriverDeps {
  readonly deadLetters: DeadLetterReader;
  readonly queue: InvocationQueue;
  readonly statuses: CallStatusReader;
  /** Most dead letters one redrive reads (newest first). */
  readonly scanLimit?: number;
  readonly now?: () => number;
}

/** Default number of dead letters one redrive reads. */
export const DEFAULT_REDRIVE_SCAN = 10_000;

/** Creates a redriver over the ports. */
export function createRedriver(deps: RedriverDeps): DeadLetterRedriver {
  const now = deps.now ?? Date.now;
  return {
    async redrive(selector: RedriveSelector) {
      const byFunction = 'function' in selector ? { functionName: selector.function } : {};
      const letters = await deps.deadLetters.list({ limit: deps.scanLimit ?? DEFAULT_REDRIVE_SCAN, ...byFunction });
      const redriven: string[] = [];
      const seen = new Set<string>();
      let skipped = 0;
      // Newest first: a call dead-lettered twice is taken back once, from its latest dead letter.
      for (const dl of letters) {
        const inv = dl.invocation;
        if (!inv) {
          if ('all' in selector) skipped += 1;
          continue;
        }
        if (!selects(selector, inv) || seen.has(inv.callId)) continue;
        seen.add(inv.callId);
        if (!awaitsRedrive(inv, await deps.statuses.get(inv.callId))) {
          skipped += 1;
          continue;
        }
        await deps.queue.enqueue(redrivenInvocation(inv, now()));
        redriven.push(inv.callId);
      }
      return { redriven, skipped };
    },
  };
}
