/** The container env of a function, built from its effective settings (common/function-settings.ts). */
import { PLATFORM_ENV_VARS, type FunctionSpec } from '../../common/function-types.js';
import { effectivePlatformSettings } from '../../common/function-settings.js';

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
