/**
 * Where fork mode's processes are started. `child_process.spawn` blocks its event loop until the child has
 * exec'd (libuv forks, then waits on a pipe for exec to succeed): 1.5-4 ms per call on this machine, growing
 * with the parent's RSS and the CPU load. On the main thread that wait serialises every call, so by default the
 * spawns happen on a few worker threads (spawn-pool.ts) and the main thread only moves bytes.
 */
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { killGroup, spawnInGroup } from '../process-group.js';

/**
 * A function process as the fork runner uses it: emits `error`, `exit` and `close` like a ChildProcess, and
 * leads its own process group.
 */
export interface ForkedProcess extends EventEmitter {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** SIGKILLs the process group, now, or as soon as the process exists when it is still being spawned. */
  killGroup(): void;
}

/** Starts function processes, each leading a new process group with piped stdio. */
export interface Spawner {
  /** `cwd` undefined: the watchdog's own working directory. */
  spawn(command: readonly [string, ...string[]], env: Readonly<Record<string, string>>, cwd?: string): ForkedProcess;
  /** Stops the spawner's threads (not the processes: their runner kills those); idempotent. */
  close(): Promise<void>;
}

/** Spawns on the calling thread (`spawn_threads=0`). */
export function mainThreadSpawner(): Spawner {
  return {
    spawn(command, env, cwd) {
      const child = spawnInGroup(command, env, 'pipe', cwd);
      return Object.assign(child, { stdin: child.stdin!, killGroup: () => killGroup(child.pid) });
    },
    close: () => Promise.resolve(),
  };
}
