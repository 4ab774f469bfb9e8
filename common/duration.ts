/**
 * Duration parsing with the OpenFaaS grammar: a bare non-negative integer means seconds, anything else is a
 * Go duration (`500ms`, `1m30s`, `1.5h`). Unlike OpenFaaS, an invalid value is an error, never a silent default.
 */
import { ValidationError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GO_DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a duration string to milliseconds, or returns undefined when it is not valid. */
export function tryParseDuration(input: string): number | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (text === '0') return 0;
  let rest = text;
  let total = 0;
  while (rest.length > 0) {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? NaN);
    rest = rest.slice(match[0].length);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** The problem with a duration string, worded for users; undefined when it is valid. */
export function durationProblem(input: string): string | undefined {
  if (tryParseDuration(input) !== undefined) return undefined;
  return `invalid duration ${JSON.stringify(input)} (use whole seconds like "30" or a Go duration like "500ms", "10s", "1m30s")`;
}

/** Parses a duration string to milliseconds; throws a ValidationError whose field is `field`. */
export function parseDuration(input: string, field: string): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) throw new ValidationError(field, durationProblem(input)!);
  return ms;
}

/** Formats milliseconds as a Go-style duration string (`1m30s`, `500ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let out = '';
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (rest) out += `${rest / 1000}s`;
  return out;
}
