// undici's package entry also loads fetch, WebSocket and the rest; the gateway only needs the connection pool,
// so it loads these files, which undici's own typings do not describe.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export = Pool;
}
declare module 'undici/lib/dispatcher/client.js' {
  import { Client } from 'undici';
  export = Client;
}
