// Test helpers: import from 'test/helpers/index.js' (relative path from the test file).
export { uniqueName } from './names.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { silentLogger } from './logger.js';
export { kafkaFor } from './kafka.js';
export { kubeConfigFor, createNamespace, deleteNamespace } from './kube.js';
export { startHttpServer, type TestHttpServer } from './http-server.js';
export { loadServices } from '../harness/load.js';
export type { ServicesState } from '../harness/state.js';
export { alive, childPids } from './process-tree.js';
