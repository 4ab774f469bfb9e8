// The bundle loader of `kfaas watchdog` (dist/watchdog/bundle-loader.cjs) and the bundle step's cache writer:
// the V8 code cache is used only for the bundle, Node and V8 flags it was written for, and any other cache is
// ignored while the bundle still runs. Each load runs in a fresh `node`, as a function process would. Needs
// `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './testing/harness.js';

const LOADER = `${REPO_ROOT}dist/watchdog/bundle-loader.cjs`;
const WRITER = `${REPO_ROOT}dist/watchdog/bundle-cache-writer.cjs`;
const BUILT_BUNDLE = `${REPO_ROOT}dist/watchdog/bundle.cjs`;
// A stand-in bundle: says that it ran, and throws when asked to.
const BUNDLE = `"use strict";\nprocess.stdout.write('ran ');\nif (process.env.THROW) throw new Error('thrown by the bundle');\n`;

let dir: string;
let bundle: string;

beforeAll(() => {
  for (const file of [LOADER, WRITER, BUILT_BUNDLE]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before these tests`);
  }
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfaas-bundle-loader-'));
  bundle = join(dir, 'bundle.cjs');
  writeFileSync(bundle, BUNDLE);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the bundle in a new node; returns what it printed and the cache's fate. */
function load(nodeFlags: string[] = [], env: Record<string, string> = {}): string {
  const script = `const l = require(${JSON.stringify(LOADER)}); const ok = l.runBundledWatchdog(${JSON.stringify(bundle)}); process.stdout.write(ok + ' ' + l.cacheOutcome()); process.exit(0);`;
  return execFileSync(process.execPath, [...nodeFlags, '-e', script], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The bundle step's writer; the stand-in bundle serves nothing, so no warm-up unless asked. */
function writeCache(...args: string[]): void {
  execFileSync(process.execPath, [WRITER, ...(args.length > 0 ? args : ['--no-warm-up']), bundle]);
}

test('gives the bundle dynamic import(), which the spawn thread uses to load node:worker_threads lazily', () => {
  writeFileSync(bundle, `"use strict";\nimport('node:os').then((os) => process.stdout.write(typeof os.cpus + ' '));\n`);
  const script = `const l = require(${JSON.stringify(LOADER)}); l.runBundledWatchdog(${JSON.stringify(bundle)}); setTimeout(() => process.exit(0), 200);`;
  expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('function ');
});

test('runs the bundle without a cache, and reports no bundle as false', () => {
  expect(load()).toBe('ran true missing');
  rmSync(bundle);
  expect(load()).toBe('false missing');
});

test('the bundle step stamps the bundle and writes a cache that the next start uses', () => {
  writeCache();
  expect(readFileSync(bundle, 'utf8')).toMatch(/^\/\/ kfaas-bundle [0-9a-f]{64}\n"use strict";/);
  expect(readFileSync(`${bundle}.cache`, 'latin1')).toMatch(new RegExp(`^kfaas-code-cache [0-9a-f]{64} ${process.version} ${process.arch}\n`));
  expect(load()).toBe('ran true used');
  // Writing again keeps one stamp line, not one per run.
  writeCache();
  expect(readFileSync(bundle, 'utf8').match(/kfaas-bundle/g)).toHaveLength(1);
  expect(load()).toBe('ran true used');
});

test('a cache written for another bundle is ignored', () => {
  writeCache();
  const oldCache = readFileSync(`${bundle}.cache`);
  writeFileSync(bundle, BUNDLE.replace("'ran '", "'new '"));
  // Rebuilt without the stamp: no key at all.
  expect(load()).toBe('new true stale');
  // Rebuilt and stamped anew, next to the previous build's cache.
  writeCache();
  writeFileSync(`${bundle}.cache`, oldCache);
  expect(load()).toBe('new true stale');
});

test('a cache written by another Node version is ignored', () => {
  writeCache();
  const cache = readFileSync(`${bundle}.cache`, 'latin1');
  writeFileSync(`${bundle}.cache`, Buffer.from(cache.replace(` ${process.version} `, ' v0.0.0 '), 'latin1'));
  expect(load()).toBe('ran true stale');
});

test('V8 rejects a cache written under other V8 flags, and the bundle still runs', () => {
  writeCache();
  expect(load(['--no-opt'])).toBe('ran true rejected');
});

test("the bundle's errors name its own file and line", () => {
  writeCache();
  let stderr = '';
  try {
    load([], { THROW: '1' });
  } catch (err) {
    stderr = String((err as { stderr: string }).stderr);
  }
  // Its third line is line 4 of the file once the stamp line is in front.
  expect(stderr).toContain(`${bundle}:4`);
  expect(stderr).toContain('thrown by the bundle');
});

test('the warm-up runs the watchdog through a call, so its cache holds more than the top level', () => {
  writeFileSync(bundle, readFileSync(BUILT_BUNDLE));
  writeCache('--no-warm-up');
  const cold = readFileSync(`${bundle}.cache`).length;
  writeCache('--warm-up');
  const warm = readFileSync(`${bundle}.cache`).length;
  expect(warm).toBeGreaterThan(cold * 1.5);
  expect(load([], { fprocess: 'cat', port: '0', log_level: 'error' })).toBe('true used');
});

test('the built watchdog starts with the cache that the build wrote', () => {
  bundle = BUILT_BUNDLE;
  expect(load([], { fprocess: 'cat', port: '0', log_level: 'error' })).toBe('true used');
});
