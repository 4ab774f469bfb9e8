/** A binary min-heap ordered by a numeric priority; holds delayed retries until they are due. */
export class MinHeap<T> {
  private items: Array<{ priority: number; seq: number; value: T }> = [];
  private seq = 0;

  /** Number of entries. */
  get size(): number {
    return this.items.length;
  }

  /** Adds `value`; equal priorities come out in insertion order. */
  push(priority: number, value: T): void {
    this.items.push({ priority, seq: this.seq++, value });
    this.up(this.items.length - 1);
  }

  /** The lowest priority, or undefined when empty. */
  peekPriority(): number | undefined {
    return this.items[0]?.priority;
  }

  /** Removes and returns the entry with the lowest priority. */
  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top && last && this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
    return top?.value;
  }

  /** Drops every entry for which `keep` returns false; returns the dropped values. */
  filter(keep: (value: T) => boolean): T[] {
    const dropped: T[] = [];
    const kept = this.items.filter((item) => keep(item.value) || (dropped.push(item.value), false));
    this.items = [];
    for (const item of kept) {
      this.items.push(item);
      this.up(this.items.length - 1);
    }
    return dropped;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a] as { priority: number; seq: number };
    const y = this.items[b] as { priority: number; seq: number };
    return x.priority < y.priority || (x.priority === y.priority && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.items[a] as (typeof this.items)[number];
    this.items[a] = this.items[b] as (typeof this.items)[number];
    this.items[b] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
