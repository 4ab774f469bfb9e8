/** Polls a TCP address until it accepts a connection, the deadline passes, or the caller gives up. */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 50;

/** Resolves true once `host:port` accepts a connection, false when `timeoutMs` passes or `signal` aborts. */
export async function waitForPort(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted && performance.now() < deadline) {
    if (await accepts(host, port)) return true;
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return false;
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
