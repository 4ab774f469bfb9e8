/** The keep-alive agent every sync call to a function goes through. */
import { Agent } from 'node:http';

/** Creates the shared upstream agent: unbounded concurrency, idle sockets reused most-recent first. */
export function createUpstreamAgent(maxIdleSocketsPerHost: number): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: maxIdleSocketsPerHost,
    // LIFO keeps a few warm sockets busy and lets the rest time out, instead of cycling through all of them.
    scheduling: 'lifo',
  });
}
