import { once } from 'node:events';
import { waitFor } from '../../test/helpers/wait-for.js';
import { createSpawnPool, type SpawnPool } from './spawn-pool.js';
import type { ForkedProcess } from './spawner.js';

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

async function output(child: ForkedProcess): Promise<{ out: string; code: unknown; signal: unknown }> {
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.resume();
  const [code, signal] = (await once(child, 'close')) as [unknown, unknown];
  return { out: Buffer.concat(chunks).toString(), code, signal };
}

describe('spawn pool', () => {
  let pool: SpawnPool;
  // Started up front: before its threads are up, the pool spawns on the calling thread, and these tests are
  // about the threads.
  beforeEach(async () => {
    pool = createSpawnPool(2);
    await pool.started();
  });
  afterEach(() => pool.close());

  it('runs concurrent processes across its threads, each with its own stdin and stdout', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => {
      const child = pool.spawn(['cat'], env);
      child.stdin.end(`call ${i}\n`);
      return output(child);
    });
    const results = await Promise.all(runs);
    expect(results.map((r) => r.out)).toEqual(Array.from({ length: 20 }, (_, i) => `call ${i}\n`));
    expect(results.every((r) => r.code === 0)).toBe(true);
  });

  it('kills a process whose kill was asked before its pid was known', async () => {
    const child = pool.spawn(['sleep', '30'], env);
    child.killGroup();
    const result = await output(child);
    expect(result.signal).toBe('SIGKILL');
  });

  it('reports a program that cannot be run as an error, then close', async () => {
    const child = pool.spawn(['no-such-command-kfaas'], env);
    const [err] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ENOENT');
    await once(child, 'close');
  });

  it('spawns on the calling thread until a thread is up, so the first call does not wait for it', async () => {
    const cold = createSpawnPool(1);
    try {
      const child = cold.spawn(['cat'], env);
      // A ChildProcess of this thread has its pid at once; a thread's process gets it by message, later.
      expect((child as unknown as { pid?: number }).pid).toEqual(expect.any(Number));
      child.stdin.end('cold');
      expect((await output(child)).out).toBe('cold');
    } finally {
      await cold.close();
    }
  });

  it('starts no thread for calls one at a time, and one once calls overlap', async () => {
    const lazy = createSpawnPool(1);
    let open: ForkedProcess | undefined;
    const onCallingThread = (child: ForkedProcess): boolean => typeof (child as unknown as { pid?: number }).pid === 'number';
    try {
      for (let i = 0; i < 3; i++) {
        const child = lazy.spawn(['cat'], env);
        expect(onCallingThread(child)).toBe(true);
        child.stdin.end(`one ${i}`);
        expect((await output(child)).out).toBe(`one ${i}`);
      }
      expect(lazy.threads()).toBe(0);
      // A call while `open` still runs overlaps it: the thread starts, and once it is up calls spawn there.
      open = lazy.spawn(['cat'], env);
      const onThread = await waitFor(
        async () => {
          const child = lazy.spawn(['cat'], env);
          const here = onCallingThread(child);
          child.stdin.end('overlap');
          expect((await output(child)).out).toBe('overlap');
          return !here;
        },
        { intervalMs: 10, description: 'a spawn on the thread' },
      );
      expect(onThread).toBe(true);
      expect(lazy.threads()).toBe(1);
      open.stdin.end('open');
      expect((await output(open)).out).toBe('open');
    } finally {
      open?.killGroup();
      await lazy.close();
    }
  });

  it('refuses to spawn once closed', async () => {
    await pool.close();
    expect(() => pool.spawn(['cat'], env)).toThrow('closed');
  });
});
