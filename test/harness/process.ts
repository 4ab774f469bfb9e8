import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A service process running in its own process group, logging to a file in the run dir. */
export interface ServiceProcess {
  name: string;
  /** Process id, equal to the process group id (the child is the group leader). */
  pgid: number;
  logPath: string;
  /** Set once the process has exited (code or signal). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** An Error describing the exit, with the log tail, or undefined while it runs. */
  exitError(): Error | undefined;
}

/** Options for {@link spawnService}. */
export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  runDir: string;
  env?: NodeJS.ProcessEnv;
}

/** Returns the last `lines` lines of a log file, or a note that it is missing. */
export function logTail(logPath: string, lines = 30): string {
  try {
    const text = fs.readFileSync(logPath, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return `(no log at ${logPath})`;
  }
}

/**
 * Starts a long-running service detached in a new session and process group, stdout and stderr appended to
 * `<runDir>/<name>.log`. The child is unref'd so a short-lived parent (infra-up) can exit and leave it running.
 */
export function spawnService(opts: SpawnOptions): ServiceProcess {
  if (opts.command.includes('/')) {
    try {
      fs.accessSync(opts.command, fs.constants.X_OK);
    } catch {
      throw new Error(`cannot start ${opts.name}: ${opts.command} is missing or not executable`);
    }
  }
  const logPath = path.join(opts.runDir, `${opts.name}.log`);
  const fd = fs.openSync(logPath, 'a');
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  let child;
  try {
    child = spawn(opts.command, opts.args, {
      cwd: opts.runDir,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  child.on('error', (err) => {
    spawnError = err;
    exitInfo ??= { code: null, signal: null };
  });
  child.on('exit', (code, signal) => {
    exitInfo = { code, signal };
  });
  child.unref();
  if (child.pid === undefined) {
    throw new Error(`could not start ${opts.name} (${opts.command})`);
  }
  const pgid = child.pid;
  return {
    name: opts.name,
    pgid,
    logPath,
    exit: () => exitInfo,
    exitError: () => {
      if (!exitInfo) return undefined;
      const how = spawnError
        ? spawnError.message
        : exitInfo.signal
          ? `killed by ${exitInfo.signal}`
          : `exited with code ${exitInfo.code}`;
      return new Error(`${opts.name} ${how} before it was ready; last lines of ${logPath}:\n${logTail(logPath)}`);
    },
  };
}

/** Runs a short command to completion (output to `logPath`), failing with the log tail on a non-zero exit. */
export async function runCommand(command: string, args: string[], opts: { cwd: string; logPath: string }): Promise<void> {
  const fd = fs.openSync(opts.logPath, 'a');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', fd, fd] });
      child.on('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
      child.on('exit', (code, signal) => {
        if (code === 0) resolve();
        else {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          reject(new Error(`${command} ${args.slice(0, 3).join(' ')} ${how}; last lines of ${opts.logPath}:\n${logTail(opts.logPath)}`));
        }
      });
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** True when the process `pid` exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while any process of the group exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    // EPERM means the group exists but belongs to someone else: still alive, and not ours to kill.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends SIGTERM to the whole process group, then SIGKILL if it is still there after `graceMs`. */
export async function killGroup(pgid: number, graceMs = 10_000): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return;
    await sleep(50);
  }
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
}

/** Signals a process group; false when it no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * True when process `pid` exists and its command line mentions `marker` (the run dir), so a recorded pgid
 * that the kernel has since reused for an unrelated process is never killed.
 */
export function processMentions(pid: number, marker: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** Tracks the process groups started so far, so a failed startup can stop exactly those. */
export interface ProcessRegistry {
  add(p: ServiceProcess): void;
  remove(p: ServiceProcess): void;
}

/** True when a service's log says it could not bind its port (another process took it after we picked it). */
export function lostPortRace(logPath: string): boolean {
  return /address already in use|bindexception/i.test(logTail(logPath, 200));
}

/**
 * Runs `start` (which picks fresh ports each time) and, when its process dies because it lost the race for a
 * port, stops it and tries again with new ports, up to `attempts` times.
 */
export async function startWithPortRetry<T>(
  registry: ProcessRegistry,
  start: (onStart: (p: ServiceProcess) => void) => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let proc: ServiceProcess | undefined;
    try {
      return await start((p) => {
        proc = p;
        registry.add(p);
      });
    } catch (err) {
      const started = proc as ServiceProcess | undefined;
      if (!started || attempt >= attempts || !lostPortRace(started.logPath)) throw err;
      await killGroup(started.pgid);
      registry.remove(started);
      // The old log stays readable for diagnosis; the retry appends to a fresh one.
      fs.renameSync(started.logPath, `${started.logPath}.attempt${attempt}`);
    }
  }
}
