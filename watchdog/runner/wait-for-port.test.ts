// waitForPort against real loopback sockets: it sees a listener, gives up at its deadline, and stops waiting as
// soon as its signal aborts (its poll pause is a plain timer that the abort cuts short).
import { createServer, type Server } from 'node:net';
import { freeLoopbackPort } from '../../runtime/free-port.js';
import { waitForPort } from './wait-for-port.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

test('resolves true once the port accepts connections', async () => {
  const port = await freeLoopbackPort();
  const waiting = waitForPort('127.0.0.1', port, 10_000, new AbortController().signal);
  setTimeout(() => {
    server = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1');
  }, 120);
  await expect(waiting).resolves.toBe(true);
});

test('resolves false when the deadline passes with nothing listening', async () => {
  const port = await freeLoopbackPort();
  await expect(waitForPort('127.0.0.1', port, 200, new AbortController().signal)).resolves.toBe(false);
});

test('resolves false soon after its signal aborts, long before the deadline', async () => {
  const port = await freeLoopbackPort();
  const controller = new AbortController();
  const started = Date.now();
  const waiting = waitForPort('127.0.0.1', port, 60_000, controller.signal);
  setTimeout(() => controller.abort(), 100);
  await expect(waiting).resolves.toBe(false);
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('resolves false at once when its signal was already aborted', async () => {
  const port = await freeLoopbackPort();
  const controller = new AbortController();
  controller.abort();
  await expect(waitForPort('127.0.0.1', port, 60_000, controller.signal)).resolves.toBe(false);
});
