/**
 * The bundle step's last part: `node dist/watchdog/bundle-cache-writer.cjs [--no-warm-up] [bundle]` stamps the
 * bundle with a hash of its content and writes its V8 code cache (`<bundle>.cache`), which bundle-loader.cts
 * uses at every `kfaas watchdog` start.
 *
 * Warm by default: the bundle runs here as a fork-mode watchdog (`cat`, a loopback port) until it has answered
 * one call, and the cache is taken then, so it also holds the functions that a start and a first call compile
 * (V8 compiles most functions on their first call; a cache taken right after compiling holds the top level
 * only). Should the warm-up fail, the cache is taken as it is, with a warning.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve as absolutePath } from 'node:path';
import { BUNDLE_PATH, cacheKey, compileBundle, runBundle, STAMP_PREFIX } from './bundle-loader.cjs';

const WARM_UP_TIMEOUT_MS = 10_000;

/** Stamps the bundle and writes its code cache; with `warmUp`, after one call to the running watchdog. */
export async function writeCodeCache(bundlePath: string, warmUp: boolean): Promise<void> {
  const original = readFileSync(bundlePath, 'utf8');
  const body = original.startsWith(STAMP_PREFIX) ? original.slice(original.indexOf('\n') + 1) : original;
  const source = `${STAMP_PREFIX}${createHash('sha256').update(body).digest('hex')}\n${body}`;
  writeFileSync(bundlePath, source);
  const script = compileBundle(source, bundlePath);
  if (warmUp) {
    try {
      await runOneCall(() => runBundle(script, bundlePath));
    } catch (err) {
      process.stderr.write(`warning: the watchdog code cache holds the top level only: ${(err as Error).message}\n`);
    }
  }
  writeFileSync(`${bundlePath}.cache`, Buffer.concat([Buffer.from(`${cacheKey(source)}\n`), script.createCachedData()]));
}

/** Starts the watchdog with `start` on a free loopback port in fork mode, and waits for its first answer. */
async function runOneCall(start: () => void): Promise<void> {
  const port = await freeLoopbackPort();
  // The watchdog reads its settings from this process's environment, as in a function process.
  Object.assign(process.env, { mode: 'fork', fprocess: 'cat', port: String(port), bind_address: '127.0.0.1', log_level: 'error', healthcheck_interval: '0' });
  start();
  const deadline = Date.now() + WARM_UP_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'warm-up' });
      const text = await res.text();
      if (res.status === 200 && text === 'warm-up') return;
      last = `answered ${res.status}: ${text.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no answer from the watchdog within ${WARM_UP_TIMEOUT_MS} ms (${last})`);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const warmUp = !args.includes('--no-warm-up');
  // Absolute: the bundle's own require is created for this path.
  const bundlePath = absolutePath(args.find((a) => !a.startsWith('--')) ?? BUNDLE_PATH);
  // The warmed-up watchdog is still serving: exit rather than drain it.
  writeCodeCache(bundlePath, warmUp).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`kfaas bundle cache: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
