/** The watchdog's request listener: probes, the `max_inflight` gate, then the call itself. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallError, writeCallError } from './call-error.js';
import { runCall, type CallDeps } from './call.js';
import { nowMs } from './clock.js';
import { answerProbe, isProbe, type ProbeState } from './health.js';
import type { InflightLimit } from './inflight-limit.js';

/** What the listener needs besides the call's own dependencies. */
export interface HandlerDeps extends CallDeps {
  readonly inflight: InflightLimit;
  readonly probes: ProbeState;
  /** 'serving' normally; 'draining' after SIGTERM (calls still run); 'stopped' once no new call is taken. */
  phase(): 'serving' | 'draining' | 'stopped';
}

/** Builds the `request` listener of the watchdog's HTTP server. */
export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (isProbe(req.url)) {
      answerProbe(req, res, deps.probes);
      return;
    }
    const phase = deps.phase();
    if (phase === 'stopped') {
      res.shouldKeepAlive = false;
      writeCallError(res, new CallError(503, 'UNAVAILABLE', 'the watchdog is shutting down'), nowMs());
      return;
    }
    if (!deps.inflight.tryAcquire()) {
      const { max } = deps.inflight;
      writeCallError(res, new CallError(429, 'TOO_MANY_REQUESTS', `Concurrent request limit exceeded. Max concurrent requests: ${max}`), nowMs());
      return;
    }
    // While draining, let each connection close after its call so the client reconnects elsewhere.
    if (phase === 'draining') res.shouldKeepAlive = false;
    void runCall(req, res, deps).finally(() => deps.inflight.release());
  };
}
