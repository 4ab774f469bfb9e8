/**
 * Typed readers for configuration from an environment object. Every process's config.ts uses them, so a bad
 * value fails the same way everywhere: `<component> config KEY="value": problem`.
 */
import { isIP } from 'node:net';
import { allowlistEntryProblem } from './callback-policy.js';
import { durationProblem, parseDuration } from './duration.js';

/** An environment: process.env in main.ts, a literal object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** winston's levels, the only values KFAAS_LOG_LEVEL takes. */
export const LOG_LEVELS: readonly string[] = Object.freeze(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']);

const SIZE = /^(\d+)\s*(|b|k|ki|kb|m|mi|mb|g|gi|gb)$/i;
const SIZE_FACTOR: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
};

/** Parses a byte size: a whole number of bytes, optionally with a decimal or binary suffix. */
export function parseSize(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * (SIZE_FACTOR[match[2]!.toLowerCase()] ?? NaN);
}

/** Splits a comma list, trimming entries and dropping empty ones. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Drops keys whose value is undefined, so spreading options over defaults keeps the defaults. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Freezes an object graph in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The first of `keys` set to a non-blank value in `env`, trimmed. */
export function pickEnv(env: Env, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** Validators bound to one component's error prefix; each takes the key (for the message) and the raw value. */
export interface Validators {
  /** Throws the component's config error naming the key, the value and the problem. */
  fail(key: string, value: string, problem: string): never;
  integer(key: string, value: string, min: number, max?: number): number;
  port(key: string, value: string): number;
  bool(key: string, value: string): boolean;
  duration(key: string, value: string): number;
  positiveDuration(key: string, value: string): number;
  size(key: string, value: string): number;
  positiveSize(key: string, value: string): number;
  /** An IP address (or `localhost`) to listen on. */
  bindAddress(key: string, value: string): string;
  logLevel(key: string, value: string): string;
  /** A comma list of `host:port` Kafka brokers. */
  brokers(key: string, value: string): string[];
  /** A comma list of callback allowlist entries (hosts, `*.suffix`, IPs, CIDRs), lower-cased. */
  callbackAllowlist(key: string, value: string): string[];
}

/** Creates validators whose errors read `<component> config KEY="value": problem`. */
export function validators(component: string): Validators {
  const fail = (key: string, value: string, problem: string): never => {
    throw new Error(`${component} config ${key}=${JSON.stringify(value)}: ${problem}`);
  };
  const integer = (key: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (!/^\d+$/.test(value)) fail(key, value, 'must be a whole number');
    const n = Number(value);
    if (n < min || n > max) fail(key, value, `must be between ${min} and ${max}`);
    return n;
  };
  const duration = (key: string, value: string): number => {
    const problem = durationProblem(value);
    return problem === undefined ? parseDuration(value, key) : fail(key, value, problem);
  };
  const size = (key: string, value: string): number => {
    const bytes = parseSize(value);
    if (bytes === undefined || !Number.isSafeInteger(bytes)) return fail(key, value, 'must be a byte size such as 1048576, 512Ki, 64Mi or 1GB');
    return bytes;
  };
  return {
    fail,
    integer,
    port: (key, value) => integer(key, value, 0, 65535),
    bool(key, value) {
      const v = value.toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      return fail(key, value, 'must be true or false');
    },
    duration,
    positiveDuration(key, value) {
      const ms = duration(key, value);
      if (ms <= 0) fail(key, value, 'must be greater than zero');
      return ms;
    },
    size,
    positiveSize(key, value) {
      const bytes = size(key, value);
      if (bytes <= 0) fail(key, value, 'must be greater than zero');
      return bytes;
    },
    bindAddress(key, value) {
      if (isIP(value) === 0 && value !== 'localhost') fail(key, value, 'must be an IP address');
      return value;
    },
    logLevel(key, value) {
      if (!LOG_LEVELS.includes(value)) fail(key, value, `must be one of ${LOG_LEVELS.join(', ')}`);
      return value;
    },
    brokers(key, value) {
      const out = splitList(value);
      for (const b of out) {
        const colon = b.lastIndexOf(':');
        const port = Number(b.slice(colon + 1));
        if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) fail(key, value, `${JSON.stringify(b)} is not host:port`);
      }
      return out;
    },
    callbackAllowlist(key, value) {
      return splitList(value).map((entry) => {
        const problem = allowlistEntryProblem(entry);
        return problem ? fail(key, entry, problem) : entry.toLowerCase();
      });
    },
  };
}
