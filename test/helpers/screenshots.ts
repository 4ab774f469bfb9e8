// Where browser tests save their screenshots: test-results/screenshots/ (ignored by git), or docs/ when
// KFAAS_UPDATE_SCREENSHOTS=1, so that a test run never leaves the work tree changed and the README's pictures
// are refreshed on purpose.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/state.js';

/** The path to save screenshot `name` at (its directory exists). */
export function screenshotPath(name: string): string {
  const dir = process.env['KFAAS_UPDATE_SCREENSHOTS'] === '1' ? join(repoRoot(), 'docs') : join(repoRoot(), 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
