/** Polls a TCP address until it accepts a connection, the deadline passes, or the caller gives up. */
import { connect } from 'node:net';
import { nowMs } from '../clock.js';

const POLL_MS = 50;

/** Resolves true once `host:port` accepts a connection, false when `timeoutMs` passes or `signal` aborts. */
export async function waitForPort(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  while (!signal.aborted && nowMs() < deadline) {
    if (await accepts(host, port)) return true;
    await pause(POLL_MS, signal);
  }
  return false;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts. Not node:timers/promises, which every watchdog would
 * load at start for a helper only http mode needs.
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
