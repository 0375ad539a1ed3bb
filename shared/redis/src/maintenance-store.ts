import { randomBytes } from 'node:crypto';
import { maintenancePeriodSchema, type MaintenancePeriod, type MaintenancePeriodInput } from '@hourglass/core';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys';

/**
 * Maintenance periods added at run time (`hourglass maintenance add`): one Redis hash,
 * `<prefix>maintenance`, field = period id, value = the period as JSON. Scorers re-read it every
 * `scorer.maintenancePollMs`, so a change takes effect without a restart. An entry that no longer
 * validates (written by hand, or by a newer version) is skipped and reported, never fatal.
 */
export class RedisMaintenanceStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  /** Validates and stores a period; returns it with its id (a generated `m-<hex>` unless it names one). */
  async add(input: MaintenancePeriodInput): Promise<MaintenancePeriod & { id: string }> {
    const period = maintenancePeriodSchema.parse(input);
    const id = period.id ?? `m-${randomBytes(4).toString('hex')}`;
    const stored = { ...period, id };
    const added = await this.redis.hsetnx(this.keys.maintenance(), id, JSON.stringify(stored));
    if (added === 0) throw new Error(`a maintenance period '${id}' exists already; remove it first or choose another id`);
    return stored;
  }

  /** Every stored period that validates, and the ids of those that do not. */
  async list(): Promise<{ periods: (MaintenancePeriod & { id: string })[]; invalid: string[] }> {
    const all = await this.redis.hgetall(this.keys.maintenance());
    const periods: (MaintenancePeriod & { id: string })[] = [];
    const invalid: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      try {
        const parsed = maintenancePeriodSchema.safeParse(JSON.parse(text));
        if (parsed.success) periods.push({ ...parsed.data, id });
        else invalid.push(id);
      } catch {
        invalid.push(id);
      }
    }
    return { periods: periods.sort((a, b) => (a.id < b.id ? -1 : 1)), invalid };
  }

  /** Removes a period; false when there was none of that id. */
  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.maintenance(), id)) === 1;
  }
}
