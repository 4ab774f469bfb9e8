/**
 * The one timer race of kfaas: waiting for a promise with a deadline. Every drain, ping, read and write that
 * must not wait forever goes through here, so the timer is always cleared and a late rejection of the losing
 * promise is never reported as unhandled.
 */

/** Settles as `promise` does, or rejects with `onTimeout()` once `ms` pass first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Resolves true when `promise` settles, either way, within `ms`; false otherwise. For drains. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return withDeadline(settled, ms, () => new Error('deadline passed')).catch(() => false);
}
