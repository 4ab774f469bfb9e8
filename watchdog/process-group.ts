/**
 * Function processes run in their own process group so that one signal reaches everything they started:
 * a timed-out handler's grandchildren must not outlive the call, and nothing may outlive the watchdog.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** A spawned function process with piped stdio. */
export type FunctionProcess = ChildProcessByStdio<Writable | null, Readable, Readable>;

/** Spawns `command` as the leader of a new process group (`detached` = setsid on POSIX). */
export function spawnInGroup(
  command: readonly [string, ...string[]],
  env: Readonly<Record<string, string>>,
  stdin: 'pipe' | 'ignore',
  cwd?: string,
): FunctionProcess {
  const [program, ...args] = command;
  return spawn(program, args, { detached: true, env, stdio: [stdin, 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) }) as FunctionProcess;
}

/** Signals the whole process group led by `pid`; a group that is already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
