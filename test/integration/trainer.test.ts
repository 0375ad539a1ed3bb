import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis } from '@hourglass/redis';
import { loadModel } from '@hourglass/model';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { refitPolicy } from '@hourglass/pipeline';
import { createRedisTrainer, startTrainerService } from '@hourglass/trainer';
import { eventually, integrationInfrastructure, deleteKeys } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { startServiceProcess } from '../support/processes';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });

test('drift: as the normal level moves, the trainer service refits from the clean buffer and the false alarms stop', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  // An absolute model (model.level): it judges the level, so the drift is what its refits must follow; a relative one never flags it.
  const config = pipelineTestConfig(infra, {
    trainer: { refitAfterNewWindows: 25, refitIntervalMs: 3_600_000, maxWindows: 300, minWindows: 200, checkIntervalMs: 100, retryAfterMissMs: 500 },
    model: { level: 'absolute' },
  });
  await createPipelineTopics(config);
  const redis = createRedis(config.redis.url);
  const trainerView = createRedisTrainer(config, redis, log);
  await trainerView.buffer.append('g', sineWindows('a', 400));
  const trainer = await startTrainerService(config, log, { requireNative: false });
  const scorer = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  t.after(async () => {
    await anomalies.stop();
    await scorer.stop();
    await trainer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  // The trainer service makes the first model on its own once the buffer is warm.
  await eventually('the first model', async () => ((await trainerView.registry.current('g')) ? true : undefined), 60_000);
  const v1 = (await trainerView.registry.loadCurrent('g'))!;

  // The level climbs slowly by 0.3 (six times the noise), then stays. The model flags a shift of
  // about the noise's size, so each refit must come before the level has moved that far: the
  // trainer refits after every 25 new clean windows, and the stream waits for it.
  const RAMP = 1000;
  const level = (i: number): number => 0.3 * Math.min(1, (i - 400) / RAMP);
  for (let from = 400; from < 400 + RAMP + 200; from += 25) {
    const chunk = Array.from({ length: 25 }, (_, k) => sineWindows('a', 1, { from: from + k, level: level(from + k), seed: from + k })[0]!);
    await produceWindows(config, chunk);
    await new Promise((r) => setTimeout(r, 600));
  }
  t.diagnostic(`after the ramp: buffer ${await trainerView.buffer.size('g')}, added ${await trainerView.buffer.totalAdded('g')}, events ${anomalies.events.length}, versions ${(await trainerView.registry.list('g')).map((v) => v.version).join(',')}`);
  const versionNumber = (v: string): number => Number(v.slice(1));
  const newestAtRampEnd = Math.max(0, ...(await trainerView.registry.list('g')).map((v) => versionNumber(v.version)));
  await eventually('a refit after the drift', async () => ((await trainerView.registry.list('g')).length >= 3 ? true : undefined), 60_000);
  // The stream goes on at the new level until the current model was fitted on it. A version made
  // after the ramp may still have been fitted on a buffer read during it (the fit was in flight), so
  // the wait is for the second version after the ramp's end: its fit began after the first ended.
  let chunks = 0;
  for (let from = 400 + RAMP + 200; chunks < 60; from += 25, chunks++) {
    const current = (await trainerView.registry.list('g')).find((v) => v.current);
    if (current && versionNumber(current.version) >= newestAtRampEnd + 2) break;
    await produceWindows(config, Array.from({ length: 25 }, (_, k) => sineWindows('a', 1, { from: from + k, level: 0.3, seed: from + k })[0]!));
    await new Promise((r) => setTimeout(r, 600));
  }
  t.diagnostic(`at the new level: ${chunks} chunks until the second version after v${newestAtRampEnd}`);

  // At the new level: the first model would flag almost everything; the current one almost nothing.
  const finalWindows = Array.from({ length: 200 }, (_, k) => sineWindows('b', 1, { from: 3000 + k, level: 0.3, seed: 7000 + k })[0]!);
  const firstModel = await loadModel(v1.artifact);
  const flaggedByFirst = firstModel.score(finalWindows).filter((s) => s.anomalous).length;
  firstModel.dispose();
  const current = (await trainerView.registry.loadCurrent('g'))!;
  const currentModel = await loadModel(current.artifact);
  const flaggedByCurrent = currentModel.score(finalWindows).filter((s) => s.anomalous).length;
  currentModel.dispose();
  t.diagnostic(`windows at the new level flagged: first model ${flaggedByFirst}/200, ${current.version} ${flaggedByCurrent}/200`);
  assert.ok(flaggedByFirst > 150, `the drift must have caused false alarms under v1 (${flaggedByFirst}/200)`);
  assert.ok(flaggedByCurrent <= 20, `after refits the new level is normal: at most 10 % flagged (${flaggedByCurrent}/200 flagged by ${current.version})`);
});

test('a trainer killed with SIGKILL mid-fit leaves the registry consistent and the lock expires', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = pipelineTestConfig(infra, { trainer: { lockTtlMs: 3000 }, model: { epochs: 400, patience: 400, layers: [64, 32] } });
  const redis = createRedis(config.redis.url);
  t.after(async () => {
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const view = createRedisTrainer(config, redis, log);
  await view.buffer.append('g', sineWindows('a', 600));
  const quick = { ...config.groups[0]!.model, epochs: 20 };
  assert.equal((await view.stage.refit('g', quick, refitPolicy(config))).status, 'promoted');

  const child = startServiceProcess('train', config, {}, ['--group', 'g']);
  await eventually('the child to take the lock', async () => ((await redis.exists(`${config.redis.keyPrefix}lock:train:g`)) === 1 ? true : undefined), 30_000, 50);
  await new Promise((r) => setTimeout(r, 500));
  await child.kill('SIGKILL');

  const versions = await view.registry.list('g');
  assert.deepEqual(versions.map((v) => [v.version, v.current]), [['v1', true]], 'no half-written version, and the current one stays');
  assert.ok(await view.registry.loadCurrent('g'), 'the current model still loads and verifies');
  await eventually('the dead holder\'s lock to expire', async () => ((await redis.exists(`${config.redis.keyPrefix}lock:train:g`)) === 0 ? true : undefined), 10_000, 100);
  assert.equal((await view.stage.refit('g', quick, refitPolicy(config))).status !== 'skipped', true);
});
