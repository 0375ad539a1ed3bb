import { describeError, opsPort, type GroupConfig, type HourglassConfig } from '@hourglass/core';
import { initBackend } from '@hourglass/model';
import { ModelRegistry, RedisAdoptionLog, RedisFeedbackStore, RedisWindowBuffer, createRedis, redisKeys, tryLock, type Redis } from '@hourglass/redis';
import { createMetricsRegistry, exportBackendInfo, startOpsServer, type Logger, type OpsServer } from '@hourglass/runtime';
import {
  TrainerStage, createTrainerMetrics, refitDue, refitPolicy, refitScheduleOf, trainingFeedbackPolicy, type GroupFitState, type ModelStore, type RefitOutcome, type TrainLocks,
} from '@hourglass/pipeline';
import { createFeedbackMetrics, redisFeedbackRecorder, refreshFeedbackGauges } from './feedback';
import { startFeedbackConsumer, type FeedbackConsumer } from './feedback-consumer';

export const SERVICE_NAME = 'hourglass-trainer';

/** The trainer's view of the Redis registry. */
export function registryModelStore(registry: ModelRegistry): ModelStore {
  return {
    putVersion: async (group, artifact, report) => ({ version: (await registry.putVersion(group, Buffer.from(artifact.buffer, artifact.byteOffset, artifact.byteLength), report)).version }),
    setCurrent: async (group, version) => void (await registry.setCurrent(group, version)),
    loadCurrent: async (group) => {
      const stored = await registry.loadCurrent(group);
      return stored ? { version: stored.version, artifact: stored.artifact, report: parseReport(stored.report) } : null;
    },
    recordDecision: (decision) => registry.recordDecision(decision.group, decision),
  };
}

/** The stored report's JSON, or undefined where it does not parse (the gate then judges without it). */
function parseReport(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Everything a refit needs, wired to Redis; shared by the service and `hourglass train`. */
export function createRedisTrainer(config: HourglassConfig, redis: Redis, log: Logger, metricsRegistry = createMetricsRegistry(SERVICE_NAME)) {
  const keys = redisKeys(config.redis.keyPrefix);
  const registry = new ModelRegistry(redis, keys, config.trainer.keepVersions);
  const buffer = new RedisWindowBuffer(redis, keys, config.scorer.bufferMaxWindows);
  const locks: TrainLocks = { tryLock: (group, ttlMs) => tryLock(redis, keys.trainLock(group), ttlMs) };
  const feedback = new RedisFeedbackStore(redis, keys);
  const stage = new TrainerStage({
    source: buffer, store: registryModelStore(registry), locks, metrics: createTrainerMetrics(metricsRegistry), adoptions: new RedisAdoptionLog(redis, keys), log,
    // Verdicts teach refits (docs/feedback.md); with feedback.enabled off they are stored but unused.
    ...(config.feedback.enabled ? { feedback: trainingFeedbackPolicy(config, feedback) } : {}),
  });
  return { stage, registry, buffer, feedback, metricsRegistry };
}

export interface TrainerService {
  readonly ops: OpsServer;
  stop(): Promise<void>;
}

/**
 * Composes the trainer: a loop that refits each group when it is due (no model yet and enough
 * clean windows; the interval passed; or enough new windows), one group at a time. Whether a
 * group is due is read from Redis (the current version's time and buffer position), so several
 * replicas agree, and the lock makes sure only one of them fits a group at once.
 */
export async function startTrainerService(config: HourglassConfig, log: Logger, options: { requireNative: boolean }): Promise<TrainerService> {
  const { info } = await initBackend({ requireNative: options.requireNative, warn: (m) => log.warn(m) });
  const metricsRegistry = createMetricsRegistry(SERVICE_NAME);
  exportBackendInfo(metricsRegistry, info.name);
  const redis = createRedis(config.redis);
  redis.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'));
  const { stage, registry, buffer, feedback } = createRedisTrainer(config, redis, log.child({ component: 'stage' }), metricsRegistry);
  const feedbackMetrics = createFeedbackMetrics(metricsRegistry);
  const feedbackReader: FeedbackConsumer | null = config.feedback.consumeTopic
    ? startFeedbackConsumer(config, { recorder: redisFeedbackRecorder(config, redis), metrics: feedbackMetrics, log: log.child({ component: 'feedback' }) })
    : null;
  const policy = refitPolicy(config);
  /** When a group's last fit was rejected, failed or skipped; it is not retried for a while. */
  const lastMiss = new Map<string, number>();
  /** The last attempt per group, for /readyz. */
  const lastRefit: Record<string, { status: string; reason: string; at: string }> = {};
  let stopping = false;
  let lastLoopOk = false;
  let redisDown = false;

  const schedule = refitScheduleOf(config.trainer);
  // The group's state from Redis (so replicas agree), judged by the schedule embedded mode uses too.
  const due = async (group: GroupConfig): Promise<boolean> => {
    const [added, buffered, versions] = await Promise.all([buffer.totalAdded(group.name), buffer.size(group.name), registry.list(group.name)]);
    const current = versions.find((v) => v.current);
    const state: GroupFitState = {
      buffered, added, lastMissAtMs: lastMiss.get(group.name) ?? null,
      current: current ? { fittedAtMs: Date.parse(current.createdAt), addedAtFit: Number((current.report as { bufferAddedAtFit?: number } | null)?.bufferAddedAtFit ?? 0) } : null,
    };
    return refitDue(schedule, state, Date.now()).due;
  };

  const refitIfDue = async (group: GroupConfig): Promise<void> => {
    if (!(await due(group))) return;
    const added = await buffer.totalAdded(group.name);
    lastMiss.set(group.name, Date.now()); // cleared below on success; a crash mid-fit counts as a miss
    const outcome: RefitOutcome = await stage.refit(group.name, group.model, policy, { bufferAddedAtFit: added });
    if (outcome.status === 'promoted') lastMiss.delete(group.name);
    lastRefit[group.name] = { status: outcome.status, reason: outcome.reason, at: new Date().toISOString() };
    log.info({ group: group.name, ...outcome }, 'refit finished');
  };

  const loop = async (): Promise<void> => {
    await connected(redis, 5000); // a trainer that just started is not "Redis down" yet
    while (!stopping) {
      // Redis down is one state, logged when it starts and ends, not a failure of every group.
      if (redis.status !== 'ready') {
        if (!redisDown) log.warn({ redis: redis.status }, 'Redis is not reachable; refits wait for it');
        redisDown = true;
        lastLoopOk = false;
      } else {
        if (redisDown) log.info('Redis is reachable again; refits resume');
        redisDown = false;
        let ok = true;
        for (const group of config.groups) {
          if (stopping) break;
          try {
            await refitIfDue(group);
          } catch (error) {
            // Say what failed: the group and the error itself (a window the model refuses, a
            // registry write, ...). The group waits retryAfterMissMs before it is tried again.
            ok = false;
            const err = describeError(error);
            lastRefit[group.name] = { status: 'failed', reason: err, at: new Date().toISOString() };
            log.error({ group: group.name, code: (error as { code?: string }).code, err }, `refit of group ${group.name} failed: ${err}`);
          }
        }
        lastLoopOk = ok;
        // Verdicts come from the CLI too, so the counts are read from Redis, not counted here.
        await refreshFeedbackGauges(feedbackMetrics, feedback, config.groups.map((g) => g.name)).catch((error: unknown) => log.debug({ err: describeError(error) }, 'could not read the feedback counts'));
      }
      await sleep(config.trainer.checkIntervalMs, () => stopping);
    }
  };
  const running = loop();
  const ops = await startOpsServer({
    registry: metricsRegistry, host: config.ops.host, port: opsPort(config, 'trainer'),
    readiness: () => ({ ready: redis.status === 'ready', details: { backend: info.name, redis: redis.status, lastLoopOk, lastRefit, feedbackTopic: feedbackReader?.status() ?? 'off' } }),
  });
  log.info({ ops: ops.url, groups: config.groups.map((g) => g.name) }, 'trainer started');
  return {
    ops,
    async stop() {
      stopping = true;
      await running; // a fit in progress finishes and writes whole, or not at all
      await feedbackReader?.stop();
      redis.disconnect();
      await ops.close();
    },
  };
}

/** Resolves when the client is ready, or after `timeoutMs`, whichever comes first. */
async function connected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => (clearTimeout(timer), resolve()));
  });
}

async function sleep(ms: number, cancelled: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!cancelled() && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())));
}
