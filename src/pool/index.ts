export { createPool, StaticPool } from './pool.js';
export { WorkerProcess, WorkerStartError, WorkerStopRequest, STATE_NAMES } from './process.js';
export { processAlive, readRss, readCpuSeconds } from './procfs.js';
export * from './types.js';
