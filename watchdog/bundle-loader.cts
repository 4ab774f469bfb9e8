/**
 * Loads the bundled watchdog (`dist/watchdog/bundle.cjs`) with a V8 code cache, so a function process skips
 * most of compiling it. CommonJS on purpose: `kfaas watchdog` reaches it from the CommonJS `kfaas` launcher
 * without starting Node's ES module loader (README, "Watchdog start-up").
 *
 * The cache (`bundle.cjs.cache`) is written by the build (bundle-cache-writer.cts), next to the bundle, by
 * the same Node binary that runs it in the images. It is used only when its header names this bundle's
 * content stamp, this Node version and this architecture; V8 then checks its own version and flags and
 * rejects a cache that does not match (`cachedDataRejected`). Either way a rejected or missing cache only costs the compile it would have saved.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';

/** The bundle next to this file; its code cache is `<bundle>.cache`. */
export const BUNDLE_PATH = join(__dirname, 'bundle.cjs');

/**
 * The bundle's first line, written by the bundle step with a hash of the rest, ties the cache to the bundle's
 * content (V8's own check compares only the source length).
 */
export const STAMP_PREFIX = '// kfaas-bundle ';
// Node's CommonJS wrapper, on the bundle's first line so that line numbers in stack traces stay right.
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_TAIL = '\n})';

/** How the last load went with the code cache (for the bench and tests). */
export type CacheOutcome = 'used' | 'rejected' | 'stale' | 'missing';

/**
 * Runs the bundled watchdog (it starts as it loads); false when there is no bundle (a tree compiled by tsc
 * alone), so the caller falls back to the modules.
 */
export function runBundledWatchdog(bundlePath = BUNDLE_PATH): boolean {
  if (!existsSync(bundlePath)) return false;
  const source = readFileSync(bundlePath, 'utf8');
  const cached = readCache(source, `${bundlePath}.cache`);
  const script = compileBundle(source, bundlePath, cached);
  outcome = cached === undefined ? outcome : script.cachedDataRejected ? 'rejected' : 'used';
  runBundle(script, bundlePath);
  return true;
}

/** Compiles the bundle's source as Node's CommonJS loader would wrap it, with `cachedData` when given. */
export function compileBundle(source: string, bundlePath: string, cachedData?: Buffer): Script {
  // A vm.Script has no dynamic import() unless told how; the bundle imports some modules lazily (the spawn
  // thread's node:worker_threads), so it gets the main context's loader, as a require()d file would.
  return new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: bundlePath,
    cachedData,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

/** Runs a compiled bundle as a CommonJS module at `bundlePath`. */
export function runBundle(script: Script, bundlePath: string): void {
  const bundleModule = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(bundleModule.exports, bundleModule.exports, createRequire(bundlePath), bundleModule, bundlePath, dirname(bundlePath));
}

let outcome: CacheOutcome = 'missing';

/** The code cache's fate in this process's `runBundledWatchdog` call. */
export function cacheOutcome(): CacheOutcome {
  return outcome;
}

/** The cache's header for this bundle under this Node: undefined when the bundle carries no stamp. */
export function cacheKey(source: string): string | undefined {
  if (!source.startsWith(STAMP_PREFIX)) return undefined;
  const stamp = source.slice(STAMP_PREFIX.length, source.indexOf('\n'));
  return `kfaas-code-cache ${stamp} ${process.version} ${process.arch}`;
}

function readCache(source: string, cachePath: string): Buffer | undefined {
  const key = cacheKey(source);
  let file: Buffer;
  try {
    file = readFileSync(cachePath);
  } catch {
    return undefined;
  }
  const newline = file.indexOf(10);
  if (key === undefined || newline === -1 || file.toString('latin1', 0, newline) !== key) {
    outcome = 'stale';
    return undefined;
  }
  return file.subarray(newline + 1);
}

