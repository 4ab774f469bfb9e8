/** Option checks for the queue factories: fail at construction, naming the option and the value. */

/** Returns `value` when it is an integer >= `min`, else throws naming `name`. */
export function intAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name}: must be an integer >= ${min} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Returns `value` when it is a non-empty string, else throws naming `name`. */
export function nonEmpty(name: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${name}: must be a non-empty string (got ${JSON.stringify(value)})`);
  return value;
}

const HOST_PORT = /^[^\s:/]+(:\d{1,5})$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** Returns the broker list when every entry is `host:port`, else throws naming the bad entry. */
export function brokerList(name: string, brokers: readonly string[]): string[] {
  if (!Array.isArray(brokers) || brokers.length === 0) throw new Error(`${name}: must list at least one broker as host:port`);
  for (const broker of brokers) {
    if (typeof broker !== 'string' || !HOST_PORT.test(broker)) {
      throw new Error(`${name}: ${JSON.stringify(broker)} is not host:port`);
    }
  }
  return [...brokers];
}
