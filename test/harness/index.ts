// The harness API for tests and scripts: start/stop the real services, and find them from a test.
export { loadServices } from './load.js';
export { startServices, stopServices, reapLeftovers } from './services.js';
export { statePath, readState, type ServicesState, type ServiceRecord } from './state.js';
