import { HourglassError, type HourglassConfig } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import { refitPolicy } from '@hourglass/pipeline';
import { createRedisTrainer } from '@hourglass/trainer';
import { withRedis } from './redis-session';

/** Runs `fn` with the trainer's Redis wiring, and always closes the connection. */
async function withRegistry<T>(config: HourglassConfig, log: Logger, fn: (t: ReturnType<typeof createRedisTrainer>) => Promise<T>): Promise<T> {
  return withRedis(config, (redis) => fn(createRedisTrainer(config, redis, log)));
}

function groupOf(config: HourglassConfig, name: string) {
  const group = config.groups.find((g) => g.name === name);
  if (!group) throw new HourglassError('USAGE', `no model group '${name}' in the config (groups: ${config.groups.map((g) => g.name).join(', ')})`);
  return group;
}

/** `hourglass train --group NAME`: one refit now, against the running system (the lock keeps it safe beside trainers). */
export function trainNow(config: HourglassConfig, log: Logger, name: string) {
  const group = groupOf(config, name);
  return withRegistry(config, log, async ({ stage, buffer }) =>
    stage.refit(group.name, group.model, refitPolicy(config), { bufferAddedAtFit: await buffer.totalAdded(group.name) }));
}

/** `hourglass models list --group NAME`: versions, which is current, and their training summary. */
export function listModels(config: HourglassConfig, log: Logger, name: string) {
  groupOf(config, name);
  return withRegistry(config, log, async ({ registry }) => ({
    versions: (await registry.list(name)).map((v) => ({ version: v.version, current: v.current, createdAt: v.createdAt, reason: (v.report as { reason?: string } | null)?.reason ?? null })),
    decisions: await registry.decisions(name, 10),
  }));
}

/** `hourglass models show --group NAME --version V`: the stored report of one version. */
export function showModel(config: HourglassConfig, log: Logger, name: string, version: string) {
  groupOf(config, name);
  return withRegistry(config, log, async ({ registry }) => {
    const found = (await registry.list(name)).find((v) => v.version === version);
    if (!found) throw new HourglassError('MODEL_VERSION_UNKNOWN', `model group '${name}' has no version '${version}'`);
    return found;
  });
}

/** `hourglass models rollback --group NAME --to VERSION`: moves the pointer back; scorers swap. */
export function rollbackModel(config: HourglassConfig, log: Logger, name: string, version: string) {
  groupOf(config, name);
  return withRegistry(config, log, ({ registry }) => registry.setCurrent(name, version));
}
