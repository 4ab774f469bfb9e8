// Runs test/contract/source-child.ts in a real child process. jest transpiles TypeScript only inside its own
// process, so the child is compiled once per test file with tsc (type checking off: jest already checked it)
// into a temp dir that links the repo's node_modules and declares itself an ES module.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildSourceSpec } from './source-child.js';

const repoRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('no package.json above test/contract');
    dir = parent;
  }
  return dir;
};

/** A compiled child entry and the temp dir that holds it. */
export interface CompiledChild {
  readonly entry: string;
  readonly dir: string;
  /** Removes the temp dir. */
  remove(): void;
}

/** Compiles source-child.ts and what it imports into a temp dir. */
export function compileSourceChild(): CompiledChild {
  const root = repoRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfaas-source-child-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--outDir', dir, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2022',
    '--esModuleInterop', '--skipLibCheck', '--noCheck', '--types', 'node', path.join(root, 'test', 'contract', 'source-child.ts')];
  try {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: Buffer; message: string };
    throw new Error(`compiling the source child failed:\n${e.stdout?.toString() || e.message}`);
  }
  return { entry: path.join(dir, 'test', 'contract', 'source-child.js'), dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A running child source and what it reported. */
export interface SourceChild {
  readonly process: ChildProcess;
  readonly started: Set<string>;
  readonly completed: Set<string>;
  /** True once the child printed `ready` (its source has started). */
  ready(): boolean;
  /** Everything the child wrote to stderr, for failure messages. */
  stderr(): string;
  /** SIGKILLs the child and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts the compiled child with `spec`. */
export function spawnSourceChild(child: CompiledChild, spec: ChildSourceSpec): SourceChild {
  const proc = spawn(process.execPath, [child.entry, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = new Set<string>();
  const completed = new Set<string>();
  let isReady = false;
  let err = '';
  let buffer = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const [word, id] = line.split(' ');
      if (word === 'started' && id) started.add(id);
      else if (word === 'completed' && id) completed.add(id);
      else if (word === 'ready') isReady = true;
    }
  });
  proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    process: proc,
    started,
    completed,
    ready: () => isReady,
    stderr: () => err,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
