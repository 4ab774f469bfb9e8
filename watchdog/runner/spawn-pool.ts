/**
 * Spawns fork-mode processes on a small pool of worker threads, so the fork+exec wait of one call blocks neither
 * the HTTP side nor the other spawns. Each worker owns the ChildProcess; the main thread gets a proxy with
 * streams whose bytes travel as messages (a copy of each chunk: microseconds, against milliseconds per spawn).
 * Workers start once calls overlap (a spawn while another process of the pool still runs): a function called
 * one call at a time, or not at all, never pays a thread's 8 MiB and 50 ms of CPU, and a lone spawn's wait
 * stalls nothing. Until a thread is up, calls spawn on the main thread. Even node:worker_threads is loaded only
 * then: importing it up front cost every function process some 2 ms of its start (README, "Watchdog start-up").
 */
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { killGroup } from '../process-group.js';
import { mainThreadSpawner, type ForkedProcess, type Spawner } from './spawner.js';

/** Main thread to worker. */
type ToWorker =
  | { t: 'spawn'; id: number; file: string; args: string[]; env: Readonly<Record<string, string>>; cwd: string | undefined }
  | { t: 'in'; id: number; c: Uint8Array }
  | { t: 'end' | 'pause' | 'resume'; id: number };

/** Worker to main thread. */
type FromWorker =
  | { t: 'spawned'; id: number; pid: number | undefined }
  | { t: 'out' | 'err'; id: number; c: Uint8Array }
  | { t: 'error'; id: number; message: string; code: string | undefined }
  | { t: 'exit' | 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

// Plain CommonJS evaluated in the worker: it runs the same from ts-jest, dist/ and a bundle, with no file to
// locate. Kept minimal: it only owns the ChildProcess and relays its events and bytes.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const children = new Map();
const post = (m) => parentPort.postMessage(m);
parentPort.on('message', (m) => {
  if (m.t !== 'spawn') {
    const child = children.get(m.id);
    if (!child) return;
    if (m.t === 'in') child.stdin.write(m.c);
    else if (m.t === 'end') child.stdin.end();
    else if (m.t === 'pause') child.stdout.pause();
    else if (m.t === 'resume') child.stdout.resume();
    return;
  }
  const id = m.id;
  let child;
  try {
    child = spawn(m.file, m.args, { detached: true, env: m.env, cwd: m.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    post({ t: 'spawned', id, pid: undefined });
    post({ t: 'error', id, message: err.message, code: err.code });
    post({ t: 'close', id, code: null, signal: null });
    return;
  }
  children.set(id, child);
  post({ t: 'spawned', id, pid: child.pid });
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (c) => post({ t: 'out', id, c }));
  child.stderr.on('data', (c) => post({ t: 'err', id, c }));
  child.on('error', (err) => post({ t: 'error', id, message: err.message, code: err.code }));
  child.on('exit', (code, signal) => post({ t: 'exit', id, code, signal }));
  child.on('close', (code, signal) => {
    children.delete(id);
    post({ t: 'close', id, code, signal });
  });
});
`;

/** A spawner on worker threads. */
export interface SpawnPool extends Spawner {
  /** Starts every thread now rather than on the first call; resolves once they all take spawns. */
  started(): Promise<void>;
  /** Threads started so far. */
  threads(): number;
}

/** Creates a pool of `threads` (>= 1) spawning workers. */
export function createSpawnPool(threads: number): SpawnPool {
  const workers: PoolWorker[] = [];
  const onThisThread = mainThreadSpawner();
  let nextId = 1;
  let closed = false;
  // Processes of this pool not closed yet, wherever they were spawned.
  let running = 0;
  const spawnOnce = (command: readonly [string, ...string[]], env: Readonly<Record<string, string>>, cwd: string | undefined): ForkedProcess => {
    if (running > 0 && workers.length < threads) workers.push(new PoolWorker());
    // A thread takes some 50 ms to boot: the calls meanwhile do not wait for it, they spawn here.
    const ready = workers.filter((w) => w.online);
    if (ready.length === 0) return onThisThread.spawn(command, env, cwd);
    // The least busy worker: a long spawn wait on one does not hold up the next call.
    const worker = ready.reduce((best, w) => (w.live.size < best.live.size ? w : best));
    const [file, ...args] = command;
    return worker.spawn(nextId++, file, args, env, cwd);
  };
  return {
    spawn(command, env, cwd) {
      if (closed) throw new Error('the spawn pool is closed');
      const child = spawnOnce(command, env, cwd);
      running++;
      child.once('close', () => running--);
      return child;
    },
    async started() {
      while (workers.length < threads) workers.push(new PoolWorker());
      await Promise.all(workers.map((w) => w.isOnline));
    },
    threads: () => workers.length,
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * node:worker_threads, loaded at the first thread rather than at start. process.getBuiltinModule (Node 20.16+)
 * needs no import(): the bundle runs in a vm.Script, and a script compiled from a V8 code cache loses the loader
 * that dynamic import() needs (every overlapping call then crashed the watchdog in its pods).
 */
function loadWorkerThreads(): Promise<typeof import('node:worker_threads')> {
  return typeof process.getBuiltinModule === 'function'
    ? Promise.resolve(process.getBuiltinModule('node:worker_threads'))
    : import('node:worker_threads');
}

class PoolWorker {
  readonly live = new Map<number, RemoteProcess>();
  online = false;
  readonly isOnline: Promise<void>;
  // Set once node:worker_threads is loaded; spawns are routed here only after 'online', so it is always set then.
  private worker: Worker | undefined;
  private readonly created: Promise<Worker>;

  constructor() {
    this.created = loadWorkerThreads().then(({ Worker }) => this.boot(Worker));
    this.isOnline = this.created.then((worker) => new Promise<void>((resolve) => worker.once('online', () => resolve()))).then(() => {
      this.online = true;
    });
  }

  private boot(WorkerClass: typeof Worker): Worker {
    // The worker holds little more than its ChildProcess objects: small heaps keep each thread's RSS down
    // (the default young generation alone reserves 16 MiB+).
    const worker = new WorkerClass(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 32 },
    });
    this.worker = worker;
    // The pool must not keep a watchdog alive on its own.
    worker.unref();
    worker.on('message', (m: FromWorker) => this.live.get(m.id)?.receive(m));
    // A worker that dies takes its calls with it: they fail like a process that could not be run.
    const fail = (reason: string): void => {
      for (const child of this.live.values()) {
        child.receive({ t: 'error', id: 0, message: reason, code: undefined });
        child.receive({ t: 'close', id: 0, code: null, signal: null });
      }
    };
    worker.on('error', (err) => fail(`spawn thread failed: ${err.message}`));
    worker.on('exit', (code) => fail(`spawn thread exited with code ${code}`));
    return worker;
  }

  spawn(id: number, file: string, args: string[], env: Readonly<Record<string, string>>, cwd: string | undefined): ForkedProcess {
    const child = new RemoteProcess((m) => this.post(m), id, () => this.live.delete(id));
    this.live.set(id, child);
    this.post({ t: 'spawn', id, file, args, env, cwd });
    return child;
  }

  async terminate(): Promise<number> {
    return (await this.created).terminate();
  }

  private post(m: ToWorker): void {
    this.worker!.postMessage(m);
  }
}

/** The main thread's view of a process owned by a worker. */
class RemoteProcess extends EventEmitter implements ForkedProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  private pid: number | undefined;
  private killRequested = false;
  private stdoutPaused = false;
  private done = false;

  constructor(
    private readonly post: (m: ToWorker) => void,
    private readonly id: number,
    private readonly forget: () => void,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!this.done) post({ t: 'in', id, c: chunk });
        callback();
      },
      final: (callback) => {
        if (!this.done) post({ t: 'end', id });
        callback();
      },
    });
    this.stdout = new Readable({
      // Backpressure across the thread: the consumer asks for more, the worker resumes the pipe.
      read: () => {
        if (!this.stdoutPaused) return;
        this.stdoutPaused = false;
        post({ t: 'resume', id });
      },
    });
    this.stderr = new Readable({ read: () => undefined });
  }

  killGroup(): void {
    if (this.pid === undefined) this.killRequested = true;
    else killGroup(this.pid);
  }

  receive(m: FromWorker): void {
    if (this.done) return;
    switch (m.t) {
      case 'spawned':
        this.pid = m.pid;
        if (this.killRequested) killGroup(this.pid);
        return;
      case 'out':
        if (!this.stdout.push(Buffer.from(m.c.buffer, m.c.byteOffset, m.c.byteLength)) && !this.stdoutPaused) {
          this.stdoutPaused = true;
          this.post({ t: 'pause', id: this.id });
        }
        return;
      case 'err':
        this.stderr.push(Buffer.from(m.c.buffer, m.c.byteOffset, m.c.byteLength));
        return;
      case 'error':
        this.emit('error', Object.assign(new Error(m.message), { code: m.code }));
        return;
      case 'exit':
        this.emit('exit', m.code, m.signal);
        return;
      case 'close':
        this.done = true;
        this.forget();
        this.stdout.push(null);
        this.stderr.push(null);
        // After the streams' last 'data' events (emitted on the next ticks), as a ChildProcess does.
        setImmediate(() => this.emit('close', m.code, m.signal));
        return;
    }
  }
}
