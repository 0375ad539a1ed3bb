import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis, redisKeys, RedisWindowBuffer } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { deleteKeys, eventually, integrationInfrastructure } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { cliWithConfig } from '../support/processes';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });

test('maintenance on real Kafka and Redis: a period added at run time suppresses events and keeps windows out of the buffer; removed, detection resumes (no restart)', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = pipelineTestConfig(infra, { scorer: { maintenancePollMs: 200 } });
  await createPipelineTopics(config);
  const redis = createRedis(config.redis.url);
  await installTrainedModel(config, redis);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  const operator = cliWithConfig(config);
  const hourglass = operator.run;
  t.after(async () => {
    await anomalies.stop();
    await scorer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
    operator.remove();
  });
  const metric = async (pattern: RegExp) => Number(pattern.exec(await (await fetch(`${scorer.ops.url}/metrics`)).text())?.[1] ?? NaN);
  const buffer = new RedisWindowBuffer(redis, redisKeys(config.redis.keyPrefix), 10_000);

  // Series a is in maintenance for event times [0, 400 s); b is not. Both spike.
  const added = JSON.parse(hourglass('maintenance', 'add', '--series', 'a', '--from', '0', '--to', '400000', '--reason', 'disk swap', '--json')) as { id: string; createdBy: string };
  assert.equal(added.createdBy, 'oncall');
  assert.match(hourglass('maintenance', 'list'), new RegExp(`${added.id}\\s+runtime\\s+series a; 0 to 400000 \\(UTC\\) - disk swap`));
  await eventually('the scorer to read the period', async () => ((await metric(/^hourglass_maintenance_periods\{source="runtime"\} (\d+)/m)) === 1 ? true : undefined), 10_000);

  await produceWindows(config, [...sineWindows('a', 200, { spikes: [60, 120] }), ...sineWindows('b', 200, { seed: 2, spikes: [60] })]);
  await eventually('400 windows scored', async () => ((await metric(/^hourglass_scorer_windows_total\{group="g"\} (\d+)/m)) >= 400 ? true : undefined), 30_000);
  await eventually('b\'s episode to close', async () => anomalies.events.find((e) => e.series === 'b' && e.state === 'closed'), 20_000);
  assert.deepEqual(anomalies.events.filter((e) => e.series === 'a'), [], 'no event for the series in maintenance');
  assert.equal(await metric(/^hourglass_scorer_maintenance_windows_total\{group="g"\} (\d+)/m), 200);
  const buffered = await buffer.recent('g', 10_000);
  assert.ok(buffered.length > 150, `b's clean windows are buffered (${buffered.length})`);
  assert.deepEqual(buffered.filter((w) => w.series === 'a'), [], 'no window of a enters the buffer');

  // Removed at run time: the scorer drops it within the poll interval and a's next spike opens an episode.
  assert.match(hourglass('maintenance', 'remove', '--id', added.id), /removed/);
  await eventually('the scorer to drop the period', async () => ((await metric(/^hourglass_maintenance_periods\{source="runtime"\} (\d+)/m)) === 0 ? true : undefined), 10_000);
  await produceWindows(config, sineWindows('a', 100, { from: 400, spikes: [450] }));
  const open = await eventually('a\'s episode after maintenance', async () => anomalies.events.find((e) => e.series === 'a' && e.state === 'open'), 30_000);
  assert.ok(Date.parse(open.windowEnd as string) >= (400 + 15) * 1000, `the episode opens on a window after the period (${String(open.windowEnd)})`);
  assert.ok((await buffer.recent('g', 10_000)).some((w) => w.series === 'a'), 'a is buffered again');
});
