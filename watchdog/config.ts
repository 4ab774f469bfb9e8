/**
 * Watchdog configuration, read from the OpenFaaS watchdog environment variable names. `loadConfig` is pure:
 * main.ts passes `process.env`, tests pass a literal. Invalid values stop the watchdog, naming key and value.
 */
import { DEFAULT_TIMEOUTS } from '../common/function-settings.js';
import { durationProblem, parseDuration } from '../common/duration.js';
import { deepFreeze, definedOnly, LOG_LEVELS, type Env } from '../common/env.js';
import { FUNCTION_MODES, isFunctionMode, type FunctionMode } from '../common/function-types.js';

/** How the function runs: a process per request (`fork`) or a long-lived HTTP server (`http`). */
export type WatchdogMode = 'fork' | 'http';

/** Fork mode output: buffered until exit (classic watchdog, `serializing`) or streamed as written. */
export type ForkOutput = 'buffered' | 'streamed';

/** The validated, frozen watchdog configuration; durations in milliseconds, 0 meaning "no limit". */
export interface WatchdogConfig {
  readonly mode: WatchdogMode;
  readonly forkOutput: ForkOutput;
  /** `fprocess` split on whitespace, as OpenFaaS does (no shell: wrap with `sh -c` yourself if needed). */
  readonly command: readonly [string, ...string[]];
  readonly port: number;
  readonly bindAddress: string;
  /** http mode only: where the function's own server listens. */
  readonly upstream: UpstreamTarget | undefined;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly execTimeoutMs: number;
  readonly healthcheckIntervalMs: number;
  /** http mode: how long the upstream gets to accept connections after it is (re)started. */
  readonly upstreamStartTimeoutMs: number;
  /** 0 means unlimited. */
  readonly maxInflight: number;
  /** Fork mode: worker threads that spawn the function processes (`spawn_threads`); 0 = the main thread. */
  readonly spawnThreads: number;
  /** Fork-mode response type override (`content_type`); undefined = the request's, else octet-stream. */
  readonly contentType: string | undefined;
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty';
  /** Exit when the parent process goes away (`KFAAS_EXIT_WITH_PARENT=true`, set by `kfaas up`). */
  readonly exitWithParent: boolean;
  /** The environment handed to the function process: the watchdog's own, as OpenFaaS does. */
  readonly functionEnv: Readonly<Record<string, string>>;
}

/** The http-mode upstream address, split for node:http. */
export interface UpstreamTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Path prefix of `upstream_url` without trailing slash ('' for none); the request URI is appended. */
  readonly basePath: string;
}

/** Thrown by loadConfig; the message names the variable and the offending value. */
export class WatchdogConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchdogConfigError';
  }
}


// Every FunctionMode maps to how the watchdog runs it; the Record type fails to compile when one is missing.
const MODES: Readonly<Record<FunctionMode, { mode: WatchdogMode; forkOutput: ForkOutput }>> = {
  fork: { mode: 'fork', forkOutput: 'buffered' },
  serializing: { mode: 'fork', forkOutput: 'buffered' },
  streaming: { mode: 'fork', forkOutput: 'streamed' },
  http: { mode: 'http', forkOutput: 'buffered' },
};

/** Parses and validates the watchdog environment, returning a deep-frozen config. */
export function loadConfig(env: Env): WatchdogConfig {
  const modeName = read(env, 'mode') ?? 'fork';
  if (!isFunctionMode(modeName)) fail('mode', modeName, `must be one of ${FUNCTION_MODES.join(', ')} (static is not supported)`);
  const modeEntry = MODES[modeName];
  const fprocessKey = read(env, 'fprocess') !== undefined ? 'fprocess' : 'function_process';
  const fprocess = read(env, fprocessKey);
  if (fprocess === undefined) missing('fprocess', 'the command that runs the function, e.g. "cat"');
  const [program, ...args] = fprocess.split(/\s+/).filter((part) => part !== '');
  if (program === undefined) fail(fprocessKey, fprocess, 'is blank');

  const writeTimeoutMs = duration(env, 'write_timeout', DEFAULT_TIMEOUTS.write);
  if (writeTimeoutMs === 0) fail('write_timeout', read(env, 'write_timeout') ?? '', 'must be greater than zero');
  const upstream = modeEntry.mode === 'http' ? upstreamTarget(env) : undefined;

  return deepFreeze({
    mode: modeEntry.mode,
    forkOutput: modeEntry.forkOutput,
    command: [program, ...args],
    port: integer(env, 'port', 8080, 65_535),
    bindAddress: read(env, 'bind_address') ?? defaultBindAddress(env),
    upstream,
    readTimeoutMs: duration(env, 'read_timeout', DEFAULT_TIMEOUTS.read),
    writeTimeoutMs,
    execTimeoutMs: duration(env, 'exec_timeout', DEFAULT_TIMEOUTS.exec),
    healthcheckIntervalMs: duration(env, 'healthcheck_interval', `${writeTimeoutMs}ms`),
    upstreamStartTimeoutMs: duration(env, 'upstream_start_timeout', '10s'),
    maxInflight: integer(env, 'max_inflight', 0, Number.MAX_SAFE_INTEGER),
    spawnThreads: integer(env, 'spawn_threads', 1, 16),
    contentType: read(env, 'content_type'),
    logLevel: logLevel(env),
    logFormat: logFormat(env),
    exitWithParent: read(env, 'KFAAS_EXIT_WITH_PARENT') === 'true',
    functionEnv: definedOnly(env) as Record<string, string>,
  });
}

/**
 * Loopback unless we run in a Kubernetes pod, where probes and the Service must reach the container;
 * `bind_address` always wins.
 */
function defaultBindAddress(env: Env): string {
  return env['KUBERNETES_SERVICE_HOST'] ? '0.0.0.0' : '127.0.0.1';
}

function upstreamTarget(env: Env): UpstreamTarget {
  const key = read(env, 'upstream_url') !== undefined ? 'upstream_url' : 'http_upstream_url';
  const raw = read(env, key);
  if (raw === undefined) missing('upstream_url', 'http mode needs the address the function listens on, e.g. http://127.0.0.1:3000');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(key, raw, 'is not a URL (e.g. http://127.0.0.1:3000)');
  }
  if (url.protocol !== 'http:') fail(key, raw, 'must be an http:// URL');
  if (url.search || url.hash) fail(key, raw, 'must not have a query or fragment');
  const port = url.port === '' ? 80 : Number(url.port);
  if (port === 0) fail(key, raw, 'needs a fixed, non-zero port');
  // URL keeps IPv6 brackets in hostname; node:http wants them off.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: raw, host, port, basePath: url.pathname.replace(/\/+$/, '') };
}

function duration(env: Env, key: string, fallback: string): number {
  const raw = read(env, key);
  const value = raw ?? fallback;
  const problem = durationProblem(value);
  return problem === undefined ? parseDuration(value, key) : fail(key, value, problem);
}

function integer(env: Env, key: string, fallback: number, max: number): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) fail(key, raw, `must be an integer from 0 to ${max}`);
  return Number(raw);
}

function logLevel(env: Env): string {
  const raw = read(env, 'log_level') ?? 'info';
  if (!LOG_LEVELS.includes(raw)) fail('log_level', raw, `must be one of ${LOG_LEVELS.join(', ')}`);
  return raw;
}

function logFormat(env: Env): 'json' | 'pretty' {
  const raw = read(env, 'log_format') ?? 'json';
  if (raw !== 'json' && raw !== 'pretty') fail('log_format', raw, 'must be json or pretty');
  return raw;
}

/** An unset or whitespace-only variable counts as absent, as in OpenFaaS. */
function read(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function fail(key: string, value: string, problem: string): never {
  throw new WatchdogConfigError(`invalid watchdog setting ${key}=${JSON.stringify(value)}: ${problem}`);
}

function missing(key: string, hint: string): never {
  throw new WatchdogConfigError(`missing watchdog setting ${key}: ${hint}`);
}

