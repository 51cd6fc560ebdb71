export * from './frame.js';
export * from './reader.js';
export * from './rpc.js';
