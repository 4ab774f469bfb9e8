/** `kfaas up` options, validated once and frozen before anything starts. */
import { resolve } from 'node:path';

/** Validated options of `kfaas up`. */
export interface UpOptions {
  readonly stackFile: string | undefined;
  readonly port: number;
  readonly dataDir: string;
  readonly secretsDir: string;
  /** Calls each worker runs at once. */
  readonly maxInflight: number;
}

/** Raised for a bad command-line value; the message names the flag. */
export class UpOptionError extends Error {}

/** Parses the raw commander options; throws UpOptionError naming the flag and the value. */
export function parseUpOptions(raw: Readonly<Record<string, string | undefined>>): UpOptions {
  const portText = raw['port'] ?? '8080';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new UpOptionError(`--port ${JSON.stringify(portText)}: must be a port number from 0 to 65535`);
  }
  const inflightText = raw['maxInflight'] ?? '100';
  if (!/^\d+$/.test(inflightText) || Number(inflightText) < 1) {
    throw new UpOptionError(`--max-inflight ${JSON.stringify(inflightText)}: must be a whole number >= 1`);
  }
  const dataDir = resolve(raw['dataDir'] ?? '.kfaas');
  return Object.freeze({
    stackFile: raw['file'],
    port: Number(portText),
    dataDir,
    secretsDir: resolve(raw['secretsDir'] ?? `${dataDir}/secrets`),
    maxInflight: Number(inflightText),
  });
}
