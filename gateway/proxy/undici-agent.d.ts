// undici's package entry also loads fetch, WebSocket and the rest; the gateway only needs the connection pool,
// so it loads this one file, which its own typings do not describe.
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export = Agent;
}
