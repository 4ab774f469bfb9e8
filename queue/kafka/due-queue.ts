/** Items held until a due time: a min-heap by due time, with one timer armed for the earliest. */
import { MinHeap } from '../shared/min-heap.js';

/** The longest delay setTimeout takes (2^31-1 ms); an item due later than that is simply re-checked then. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Holds items until due and calls `onDue` when the earliest may be due; the caller pops with popDue(). */
export class DueQueue<T> {
  private readonly heap = new MinHeap<T>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private stopped = false;

  constructor(
    private readonly now: () => number,
    private readonly onDue: () => void,
  ) {}

  /** Items held. */
  get size(): number {
    return this.heap.size;
  }

  /** Holds `item` until `due` (epoch ms). */
  push(due: number, item: T): void {
    this.heap.push(due, item);
    this.arm();
  }

  /** The earliest item due by now, removed; undefined when none is due (or after stop). */
  popDue(): T | undefined {
    if (this.stopped || (this.heap.peekPriority() ?? Infinity) > this.now()) return undefined;
    return this.heap.pop();
  }

  /** Keeps the items `keep` accepts and returns the others. */
  filter(keep: (item: T) => boolean): T[] {
    return this.heap.filter(keep);
  }

  /** Arms the timer for the earliest item unless one already fires by then. */
  arm(): void {
    const due = this.heap.peekPriority();
    if (due === undefined || this.stopped) return;
    if (this.timer && due >= this.timerDue) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.onDue();
    }, Math.min(MAX_TIMER_MS, Math.max(0, due - this.now())));
  }

  /** Fires nothing more; held items stay (the relay's commits never covered them). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
