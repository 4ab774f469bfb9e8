/** Round-robin endpoint choice per function, shared by every request through one gateway. */

/** Picks endpoints in turn for each function key; the counter survives endpoint-set changes. */
export class RoundRobin {
  private readonly counters = new Map<string, number>();

  /** Returns the next endpoint for `key`; `endpoints` must not be empty. */
  pick(key: string, endpoints: readonly string[]): string {
    if (endpoints.length === 1) return endpoints[0]!;
    const n = this.counters.get(key) ?? 0;
    // Wrap well below 2^53 so the counter never loses precision on a long-lived gateway.
    this.counters.set(key, n >= 1_000_000_000 ? 0 : n + 1);
    return endpoints[n % endpoints.length]!;
  }
}
