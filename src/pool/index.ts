export { createPool, StaticPool } from './pool.js';
export { WorkerProcess, WorkerStartError, STATE_NAMES } from './process.js';
export * from './types.js';
