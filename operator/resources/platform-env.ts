/**
 * The watchdog settings of a function (`fprocess`, `mode`, the three timeouts) and the container env built
 * from them. A spec field wins; OpenFaaS users keep these in `environment`, so an env entry is the fallback;
 * the documented defaults (DEFAULT_TIMEOUTS) apply last, so the container always carries all three timeouts.
 */
import { DEFAULT_TIMEOUTS } from '../../common/delivery-policy.js';
import { PLATFORM_ENV_VARS, type FunctionSpec } from '../../common/function-types.js';

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

/** The container env: platform settings plus the user's `environment`, sorted by name as faas-netes does. */
export function containerEnv(spec: FunctionSpec): Array<{ name: string; value: string }> {
  const settings = effectivePlatformSettings(spec);
  const vars = new Map<string, string>();
  for (const [name, value] of Object.entries(spec.environment ?? {})) {
    if (!PLATFORM_ENV_VARS.has(name)) vars.set(name, value);
  }
  if (settings.handler !== undefined) vars.set('fprocess', settings.handler);
  if (settings.mode !== undefined) vars.set('mode', settings.mode);
  vars.set('read_timeout', settings.timeouts.read);
  vars.set('write_timeout', settings.timeouts.write);
  vars.set('exec_timeout', settings.timeouts.exec);
  return [...vars.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}
