/**
 * One call's lifecycle and its three limits. `read_timeout` runs from arrival until the request body has been
 * read, `write_timeout` from arrival until the response is written (Go's server semantics), and `exec_timeout`
 * (lowered per call by `X-Timeout`) from arrival until the function's work is over. Whichever expires first
 * stops the runner and answers with the limit's name, or cuts the connection if the response had started.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Headers, isValidCallId } from '../common/headers.js';
import type { LeveledLogger as Logger } from '../common/log-record.js';
import { formatDuration } from '../common/duration.js';
import { CallError, timeoutError, writeCallError } from './call-error.js';
import { nowMs } from './clock.js';
import type { WatchdogConfig } from './config.js';
import type { Call, Runner } from './runner/runner.js';
import { effectiveExecLimit } from './timeout-rule.js';

/** What a call needs from the watchdog. */
export interface CallDeps {
  readonly config: WatchdogConfig;
  readonly runner: Runner;
  readonly logger: Logger;
}

/** Runs one call to completion; resolves once the function's work is over and the response is closed. */
export function runCall(req: IncomingMessage, res: ServerResponse, deps: CallDeps): Promise<void> {
  const { config } = deps;
  const startedAtMs = nowMs();
  const rawCallId = req.headers[Headers.callId];
  const callId = typeof rawCallId === 'string' && isValidCallId(rawCallId) ? rawCallId : undefined;
  const logger = callId ? deps.logger.child({ callId }) : deps.logger;
  const controller = new AbortController();
  const timers = new Set<NodeJS.Timeout>();

  const limit = (ms: number, onExpiry: () => void): (() => void) => {
    if (ms <= 0) return () => undefined;
    const timer = setTimeout(onExpiry, ms);
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
  };
  const clearAll = (): void => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };

  const stop = (err: CallError | undefined): void => {
    if (controller.signal.aborted) return;
    controller.abort(err);
    clearAll();
    if (!err || res.writableEnded || res.destroyed) return;
    const level = err.internal ? 'warn' : 'info';
    logger.log(level, `call failed: ${err.message.split('\n')[0]}`, {
      code: err.code,
      statusCode: err.statusCode,
      method: req.method,
      path: req.url,
      durationMs: Math.round(nowMs() - startedAtMs),
    });
    if (res.headersSent) {
      // Too late for a status: cut the connection so the client sees an incomplete response, not a short one.
      res.destroy();
      return;
    }
    if (err.code === 'READ_TIMEOUT') res.shouldKeepAlive = false;
    writeCallError(res, err, startedAtMs);
  };

  const exec = effectiveExecLimit(config.execTimeoutMs, req.headers[Headers.timeout]);
  const note = exec.lowered ? ` (lowered by X-Timeout from ${formatDuration(config.execTimeoutMs)})` : '';
  const clearExec = limit(exec.ms, () => stop(timeoutError('exec_timeout', exec.ms, note)));
  const clearRead = limit(config.readTimeoutMs, () => stop(timeoutError('read_timeout', config.readTimeoutMs)));
  const clearWrite = limit(config.writeTimeoutMs, () => stop(timeoutError('write_timeout', config.writeTimeoutMs)));
  req.once('end', clearRead);
  res.once('finish', clearWrite);

  const closed = new Promise<void>((resolve) => {
    res.once('close', () => {
      clearAll();
      // A response closed before it finished means the client went away: stop the function too.
      if (!res.writableFinished && !controller.signal.aborted) {
        logger.info('client closed the connection before the response was complete; stopping the call', { path: req.url });
        stop(undefined);
      }
      resolve();
    });
  });

  const call: Call = { req, res, callId, logger, startedAtMs, signal: controller.signal };
  // Through a promise constructor, so that a synchronous throw in a runner is answered like a rejection.
  const work = new Promise<void>((resolve) => resolve(deps.runner.run(call))).then(
    () => clearExec(),
    (err: unknown) => {
      clearExec();
      stop(err instanceof CallError ? err : internalError(err, logger));
    },
  );
  return Promise.all([work, closed]).then(() => undefined);
}

function internalError(err: unknown, logger: Logger): CallError {
  logger.error('watchdog failure while running a call', { err: err instanceof Error ? err.stack : String(err) });
  return new CallError(500, 'INTERNAL', `watchdog error: ${err instanceof Error ? err.message : String(err)}`);
}
