export { createRedis, probeRedis, redactUrl } from './client';
export type { Redis } from 'ioredis';
