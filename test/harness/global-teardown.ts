// jest globalTeardown; loaded like global-setup.ts, so it imports the hooks that global-setup.ts compiled.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Stops the services that this jest run's globalSetup started. */
export default async function globalTeardown(_global: unknown, project: { rootDir: string }): Promise<void> {
  const out = path.join(project.rootDir, 'dist', 'test', 'harness', 'jest-hooks.js');
  // No compiled hooks means setup never got far enough to start anything.
  if (!fs.existsSync(out)) return;
  const hooks = (await import(pathToFileURL(out).href)) as { teardown(): Promise<void> };
  await hooks.teardown();
}
