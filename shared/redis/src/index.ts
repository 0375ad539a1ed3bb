export { createRedis, probeRedis, redactUrl, resolveRedisSecurity, describeRedisSecurity, redisUrlOf, RedisAuthError, RedisSecretFileError, type RedisConnection, type RedisTarget, type RedisClientSecurity } from './client';
export { redisKeys, type RedisKeys } from './keys';
export { ModelRegistry, type ModelPointer, type StoredModel, type ModelNotification } from './registry';
export { tryLock, type HeldLock } from './lock';
export { CleanBuffer } from './clean-buffer';
export { RedisWindowBuffer, RedisEpisodeStore } from './window-stores';
export { RedisIncidentStore, type IncidentWrites, type RedisIncidentStoreOptions } from './incident-store';
export { RedisMaintenanceStore } from './maintenance-store';
export type { Redis } from 'ioredis';
