import { groupAlive } from './process.js';
import { readState, statePath, type ServicesState } from './state.js';

/**
 * Returns the running test services described by the state file. Throws (so the calling test fails, never
 * skips) when the file is missing, still starting, or a recorded service has died.
 */
export function loadServices(file = statePath()): ServicesState {
  const state = readState(file);
  if (!state) {
    throw new Error(`kfaas test services are not running: ${file} does not exist. ` +
      'Run integration tests through jest (its globalSetup starts them: `make test`) or start them with `make infra-up`.');
  }
  if (state.status !== 'ready') {
    throw new Error(`kfaas test services in ${file} are not ready (status ${state.status}); see the logs in ${state.runDir}`);
  }
  for (const [name, svc] of Object.entries(state.services)) {
    if (!groupAlive(svc.pgid)) {
      throw new Error(`kfaas test service ${name} (pgid ${svc.pgid}) is no longer running; its log: ${svc.log}`);
    }
  }
  return state;
}
