/**
 * A function's effective watchdog settings (`fprocess`, `mode`, the three timeouts), resolved in one place for
 * every consumer: the operator's container env, the local provider's watchdog env, and the delivery policy that
 * sets the gateway's sync deadline, the async envelope and the worker's deadline. A spec field wins; OpenFaaS
 * users keep these in `environment` (`exec_timeout: 2m`), so an env entry is the fallback; the documented
 * defaults apply last, so a function always has all three timeouts.
 */
import type { FunctionSpec } from './function-types.js';

/** Documented defaults for function timeouts, applied when a spec leaves them unset. */
export const DEFAULT_TIMEOUTS = Object.freeze({ read: '30s', write: '30s', exec: '30s' });

/** The effective watchdog settings, and for each the field it came from (for error messages). */
export interface PlatformSettings {
  readonly handler: string | undefined;
  readonly mode: string | undefined;
  readonly timeouts: { readonly read: string; readonly write: string; readonly exec: string };
  readonly sources: Readonly<Record<'handler' | 'mode' | 'read' | 'write' | 'exec', string>>;
}

function pick(specValue: string | undefined, specField: string, env: Record<string, string>, envName: string, fallback?: string) {
  if (specValue !== undefined) return { value: specValue, source: specField };
  if (env[envName] !== undefined) return { value: env[envName], source: `spec.environment.${envName}` };
  return { value: fallback, source: fallback === undefined ? specField : `default of ${specField}` };
}

/** Resolves the watchdog settings of a spec: spec field, then `environment` entry, then default. */
export function effectivePlatformSettings(spec: FunctionSpec): PlatformSettings {
  const env = spec.environment ?? {};
  const handler = pick(spec.handler, 'spec.handler', env, 'fprocess');
  const mode = pick(spec.mode, 'spec.mode', env, 'mode');
  const read = pick(spec.timeouts?.read, 'spec.timeouts.read', env, 'read_timeout', DEFAULT_TIMEOUTS.read);
  const write = pick(spec.timeouts?.write, 'spec.timeouts.write', env, 'write_timeout', DEFAULT_TIMEOUTS.write);
  const exec = pick(spec.timeouts?.exec, 'spec.timeouts.exec', env, 'exec_timeout', DEFAULT_TIMEOUTS.exec);
  return {
    handler: handler.value,
    mode: mode.value,
    timeouts: { read: read.value!, write: write.value!, exec: exec.value! },
    sources: { handler: handler.source, mode: mode.source, read: read.source, write: write.source, exec: exec.source },
  };
}
