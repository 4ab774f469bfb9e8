/**
 * Fork mode, as the classic OpenFaaS watchdog: one process per call, the request body on stdin, stdout as the
 * response body, stderr to the log. Each process leads its own group, so a stop kills its whole tree.
 */
import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import { Headers } from '../../common/headers.js';
import { CallError, durationSeconds } from '../call-error.js';
import type { WatchdogConfig } from '../config.js';
import { logLines } from '../line-logger.js';
import { OutputExcerpt } from '../output-excerpt.js';
import { requestEnv } from './fork-env.js';
import type { Call, Runner } from './runner.js';
import type { ForkedProcess, Spawner } from './spawner.js';

/** Creates the fork-mode runner (`mode` fork, serializing or streaming); its processes start through `spawner`. */
export function createForkRunner(config: WatchdogConfig, spawner: Spawner, cwd?: string): Runner {
  const live = new Set<ForkedProcess>();
  let closing: Promise<void> | undefined;
  return {
    start: () => Promise.resolve(),
    ready: () => closing === undefined,
    run: (call) => runForked(call, config, spawner, live, cwd),
    close() {
      closing ??= Promise.all(
        [...live].map(async (child) => {
          const closed = once(child, 'close');
          child.killGroup();
          await closed;
        }),
      ).then(() => undefined);
      return closing;
    },
  };
}

function runForked(call: Call, config: WatchdogConfig, spawner: Spawner, live: Set<ForkedProcess>, cwd: string | undefined): Promise<void> {
  const { req, res, logger, signal } = call;
  const env = { ...config.functionEnv, ...requestEnv(req.method, req.url, req.headers) };
  const contentType = config.contentType ?? req.headers['content-type'] ?? 'application/octet-stream';
  const streamed = config.forkOutput === 'streamed';
  const headers = (): OutgoingHttpHeaders => ({
    'content-type': contentType,
    [Headers.durationSeconds]: durationSeconds(call.startedAtMs),
  });

  // winston formats a message before its transports filter by level; skip that work on the hot path.
  const logInfo = logger.isInfoEnabled();
  if (logInfo) logger.info('Forking fprocess.');
  const child = spawner.spawn(config.command, env, cwd);
  live.add(child);
  const stdin = child.stdin;
  const stderr = new OutputExcerpt();
  logLines(child.stderr, logger, { stream: 'stderr' });
  child.stderr.on('data', (text: string) => stderr.add(text));

  // A function that never reads its input closes stdin early; the EPIPE that follows is not a failure.
  stdin.on('error', () => undefined);
  req.pipe(stdin);

  const chunks: Buffer[] = [];
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (signal.aborted) return;
    if (!streamed) {
      chunks.push(chunk);
      return;
    }
    if (!res.headersSent) res.writeHead(200, headers());
    if (!res.write(chunk)) {
      child.stdout.pause();
      res.once('drain', () => child.stdout.resume());
    }
  });

  const stop = (): void => child.killGroup();
  signal.addEventListener('abort', stop, { once: true });
  // When the leader exits, whatever it left running in its group goes too: no orphans, and no grandchild
  // holding stdout open past the call.
  child.on('exit', stop);
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  return new Promise((resolve, reject) => {
    child.on('close', (code, killedBy) => {
      live.delete(child);
      signal.removeEventListener('abort', stop);
      if (spawnError) {
        reject(new CallError(500, 'FPROCESS_FAILED', `cannot run fprocess "${config.command.join(' ')}": ${spawnError.message}`));
        return;
      }
      if (signal.aborted) {
        resolve();
        return;
      }
      if (code !== 0) {
        const excerpt = stderr.toString();
        const status = killedBy ? `killed by ${killedBy}` : `exit code ${code}`;
        // The function's own failure, not the platform's: no internal header.
        reject(new CallError(500, 'FUNCTION_FAILED', `${status}${excerpt ? `\n${excerpt}` : ''}`, false));
        return;
      }
      if (streamed) {
        if (!res.headersSent) res.writeHead(200, headers());
        res.end();
      } else {
        const body = Buffer.concat(chunks, bytes);
        res.writeHead(200, { ...headers(), 'content-length': body.length });
        res.end(body);
      }
      if (logInfo) logger.info(`Wrote ${bytes} Bytes - Duration: ${durationSeconds(call.startedAtMs)} seconds`);
      resolve();
    });
  });
}
