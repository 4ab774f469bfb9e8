/** Finds a free TCP port on the loopback interface. */
import { createServer } from 'node:net';

/**
 * Returns a port that was free a moment ago. Another process may take it before the child binds it; the
 * supervisor treats that like any crash and restarts the child on a fresh port.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
