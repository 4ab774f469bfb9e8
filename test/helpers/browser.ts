/**
 * A real Chromium for browser tests: Debian's package (installed by scripts/chromium.sh when missing), driven
 * by playwright-core through `executablePath`. Playwright downloads nothing; every networking extra of Chromium
 * that would phone home is switched off, and each launch gets a fresh profile directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Chromium's flags for a quiet, headless, sandbox-less (root in a container) run. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** The Chromium executable, installed first when missing (the script prints its path). */
export function ensureChromium(): string {
  return execFileSync(join(ROOT, 'scripts', 'chromium.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
}

/** A launched browser context; close() also removes its profile directory. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh --user-data-dir, optionally logged in with basic-auth credentials. */
export async function launchBrowser(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<TestBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'kfaas-chromium-'));
  // launchPersistentContext is playwright's way to pass --user-data-dir (launch() refuses it in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1200, height: 760 },
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
