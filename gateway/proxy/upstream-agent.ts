/**
 * The keep-alive connection pools every sync call to a function goes through: one undici Pool per function
 * endpoint, loaded alone (undici's package entry also loads fetch and the rest, several MiB the gateway never uses).
 */
import type { buildConnector, Dispatcher } from 'undici';
import Client from 'undici/lib/dispatcher/client.js';
import Pool from 'undici/lib/dispatcher/pool.js';

/** How the shared upstream pools keep idle connections. */
export interface UpstreamAgentOptions {
  /** An idle pooled connection is closed after this long (ms); 0 keeps it until the function closes it. */
  readonly idleTimeoutMs: number;
  /** Idle connections kept per function endpoint (`max_idle_conns_per_host`); one over it closes when its call ends. */
  readonly maxIdlePerEndpoint: number;
}

/** One pooled connection as a call sees it. */
export interface UpstreamConnection {
  /** Replies completed on its current socket; above 0 the socket is a reused one. The proxy counts them. */
  replies: number;
}

/** A dispatch handler that is told which pooled connection carries its call, before undici writes it. */
export interface TrackedHandler extends Dispatcher.DispatchHandlers {
  connection?: UpstreamConnection;
}

/** The upstream pools as the proxy sees them. */
export interface UpstreamAgent {
  /** Sends one call to `options.origin`, on an idle connection of that endpoint or a new one. */
  dispatch(options: Dispatcher.DispatchOptions, handler: TrackedHandler): boolean;
  /** Closes every connection at once (shutdown). */
  destroy(): Promise<void>;
}

// setTimeout's largest delay, about 24.8 days: "never" for an idle connection.
const NEVER_MS = 2 ** 31 - 1;

/**
 * Creates the shared upstream pools: unbounded connections per function endpoint, one call at a time on each
 * (HTTP/1.1 pipelining would queue a call behind a slow one), idle connections closed by the gateway before the
 * function would close them.
 *
 * A function that closes an idle keep-alive connection just as the gateway sends a call on it turns that call
 * into a 502 (the request went out on a dying socket). Closing idle connections first on our side leaves no
 * such window: after idleTimeoutMs, or one second before a `Keep-Alive: timeout=N` the function announced,
 * whichever is sooner.
 */
export function createUpstreamAgent(options: UpstreamAgentOptions): UpstreamAgent {
  const idleMs = options.idleTimeoutMs > 0 ? options.idleTimeoutMs : NEVER_MS;
  const poolOptions = {
    keepAliveTimeout: idleMs,
    keepAliveMaxTimeout: idleMs,
    keepAliveTimeoutThreshold: 1_000,
    // The proxy's own deadline governs a call; undici's per-phase timeouts would cut long calls short.
    headersTimeout: 0,
    bodyTimeout: 0,
    pipelining: 1,
  };
  const pools = new Map<string, Pool>();

  const createPool = (origin: string): Pool => {
    // Sockets connected in this pool, and how many of them sit idle (the count max_idle_conns_per_host bounds).
    let connected = 0;
    let idle = 0;
    const pool: Pool = new Pool(origin, {
      ...poolOptions,
      factory(clientOrigin, clientOptions) {
        const connection: UpstreamConnection = { replies: 0 };
        let socket: { destroy(): void; readonly destroyed: boolean } | undefined;
        let isIdle = false;
        const setBusy = (): void => {
          if (isIdle) idle--;
          isIdle = false;
        };
        // The pool always hands its clients a connector function.
        const connect = (clientOptions as { connect: buildConnector.connector }).connect;
        const client = new Client(clientOrigin, {
          ...clientOptions,
          // The pool's connector, wrapped to keep this client's socket: the idle limit closes it by hand.
          connect: (connectOptions, callback) =>
            connect(connectOptions, (...result) => {
              socket = result[1] ?? undefined;
              callback(...result);
            }),
        });
        client.on('connect', () => {
          connected++;
          connection.replies = 0;
        });
        client.on('disconnect', () => {
          connected--;
          setBusy();
          socket = undefined;
          // An endpoint with no connections left (a pod gone, or idle past the timeout) is forgotten, so the map
          // does not grow with every endpoint the gateway ever called.
          if (connected === 0 && pool.stats.size === 0 && pools.get(origin) === pool) {
            pools.delete(origin);
            void pool.close();
          }
        });
        // 'drain': this client's call ended and it is free. Past the limit its socket is closed instead of kept,
        // as node:http's agent did with maxFreeSockets (a later call on this client connects again).
        client.on('drain', () => {
          if (socket === undefined || socket.destroyed || isIdle) return;
          if (idle >= options.maxIdlePerEndpoint) {
            socket.destroy();
            return;
          }
          isIdle = true;
          idle++;
        });
        const dispatch = client.dispatch.bind(client);
        client.dispatch = (dispatchOptions, handler: TrackedHandler) => {
          setBusy();
          handler.connection = connection;
          return dispatch(dispatchOptions, handler);
        };
        return client;
      },
    });
    return pool;
  };

  return {
    dispatch(dispatchOptions, handler) {
      const origin = dispatchOptions.origin as string;
      let pool = pools.get(origin);
      if (pool === undefined) {
        pool = createPool(origin);
        pools.set(origin, pool);
      }
      return pool.dispatch(dispatchOptions, handler);
    },
    async destroy() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.destroy()));
    },
  };
}
