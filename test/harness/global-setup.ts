// jest globalSetup. jest loads this file outside its module system, where the `.js` specifiers of the harness's
// ESM imports cannot resolve to .ts files; so this file has no relative imports: it compiles the harness with
// tsc (only when a source is newer than the output; tsc also type-checks it) and imports the compiled hooks.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function newestSource(dir: string): number {
  return Math.max(...fs.readdirSync(dir).filter((f) => /\.(ts|json)$/.test(f)).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
}

/** Starts the test services once for the whole jest run (see jest-hooks.ts). */
export default async function globalSetup(_global: unknown, project: { rootDir: string; displayName?: string | { name: string } }): Promise<void> {
  const root = project.rootDir;
  const src = path.join(root, 'test', 'harness');
  const out = path.join(root, 'dist', 'test', 'harness', 'jest-hooks.js');
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newestSource(src)) {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(src, 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: Buffer; message: string };
      throw new Error(`compiling the test harness failed:\n${e.stdout?.toString() || e.message}`);
    }
  }
  const hooks = (await import(pathToFileURL(out).href)) as { setup(opts: { node: boolean }): Promise<void> };
  // The e2e project runs pods: it gets a real node as well.
  const name = typeof project.displayName === 'string' ? project.displayName : project.displayName?.name;
  await hooks.setup({ node: name === 'e2e' });
}
