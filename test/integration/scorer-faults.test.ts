import { test } from 'node:test';
import assert from 'node:assert/strict';

import { consumerGroupLag, createKafka } from '@hourglass/kafka';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { createRedisTrainer } from '@hourglass/trainer';
import { eventually, integrationInfrastructure, deleteKeys } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { startServiceProcess } from '../support/processes';

const log = createLogger({ level: 'silent' });
const SERIES = ['s1', 's2', 's3', 's4', 's5', 's6'];
const PER_SERIES = 400;
const SPIKES = [120, 290];

test('a scorer killed with SIGKILL mid-stream and replaced leaves no window unscored and makes no second episode', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  // A fixed raw-error threshold makes "anomalous" exact, so the test can name every expected window.
  const config = pipelineTestConfig(infra, { scorer: { batchMaxWindows: 64, partitionsConsumedConcurrently: 2 }, model: { threshold: { method: 'fixed', value: 1 } } });
  await createPipelineTopics(config, 6);
  const redis = createRedis(config.redis.url);
  const anomalies = await collectAnomalies(config);
  const running: ReturnType<typeof startServiceProcess>[] = [];
  t.after(async () => {
    for (const p of running) await p.kill('SIGKILL');
    await anomalies.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });

  // A model for the group, fitted from another series, then an empty buffer.
  await installTrainedModel(config, redis);
  const trainer = createRedisTrainer(config, redis, log);

  await produceWindows(config, SERIES.flatMap((s, i) => sineWindows(s, PER_SERIES, { seed: 20 + i, spikes: SPIKES })));
  const first = startServiceProcess('scorer', config);
  running.push(first);
  await eventually('the first scorer to publish an episode', async () => (anomalies.events.length > 0 ? true : undefined), 60_000);
  await first.kill('SIGKILL');
  const second = startServiceProcess('scorer', config);
  running.push(second);

  const kafka = createKafka(config.kafka);
  await eventually('every window to be committed', async () => {
    const lag = await consumerGroupLag(kafka, config.scorer.groupId, config.topics.windows);
    return [...lag.values()].every((l) => l === 0) ? true : undefined;
  }, 120_000, 500);

  // One episode per spike and series: replays after the kill republish the same ids, never new ones.
  const episodes = new Map<string, Set<string>>();
  for (const e of anomalies.events) {
    const set = episodes.get(e.series as string) ?? new Set();
    set.add(e.episodeId as string);
    episodes.set(e.series as string, set);
  }
  for (const s of SERIES) assert.equal(episodes.get(s)?.size, SPIKES.length, `${s}: ${[...(episodes.get(s) ?? [])].join(', ')}\n${second.logs().slice(-2000)}`);
  const byId = new Map<string, string>();
  for (const e of anomalies.events) {
    // detectedAt is the wall clock; similar is what the scorer knew of other episodes when it published.
    const { detectedAt: _ignored, similar: _known, ...content } = e;
    const previous = byId.get(e.id as string);
    if (previous) assert.equal(JSON.stringify(content), previous, 'a replayed event must carry the same content');
    byId.set(e.id as string, JSON.stringify(content));
  }

  // Every window outside the spikes' episodes was scored as normal and reached the clean buffer.
  const buffered = new Set((await trainer.buffer.recent('g', 100_000)).map((w) => `${w.series}@${w.endMs}`));
  for (const s of SERIES) {
    for (let i = 0; i < PER_SERIES; i++) {
      const nearSpike = SPIKES.some((k) => i >= k && i <= k + 16 + 3);
      if (!nearSpike) assert.ok(buffered.has(`${s}@${(i + 15) * 1000}`), `${s} window ${i} was never scored as normal`);
    }
  }
});
