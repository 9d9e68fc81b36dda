export { Spool } from './spool.js';
export type { SpoolOptions, SpoolStats } from './types.js';
export type { SpoolRecord } from './scan.js';
export { nodeIo, type SpoolIo } from './io.js';
