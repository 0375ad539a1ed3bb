import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigResourceTypes } from 'kafkajs';

import { anomalyEventId } from '@hourglass/core';
import { consumerGroupLag, createKafka } from '@hourglass/kafka';
import { createRedis } from '@hourglass/redis';
import { deleteKeys, eventually, integrationInfrastructure } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { startServiceProcess } from '../support/processes';
import { freePort } from '../infra/processes';

const SERIES = ['s1', 's2'];
const SPIKE = 150;

/**
 * Issue 21's regression test, on the real broker and the real scorer process. While the window
 * that opens an episode is being scored, the broker refuses every write to the anomalies topic (its
 * `max.message.bytes` is set below any event's size, so kafkajs gets MESSAGE_TOO_LARGE from the
 * broker itself); the scorer's publish fails and the batch is redelivered again and again. Then the
 * topic is opened again. The episode's `open` event must be published exactly once, with the id it
 * has in a run without the failure (ids are a hash of series, group, window end and model version,
 * so that id is known in advance). Before the fix, the failed batch had already moved the in-memory
 * episode state to "open", the redelivered batch looked like a replay, and no `open` was ever sent.
 */
test('a publish that fails on the batch that opens an episode publishes that open exactly once, with the failure-free id', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const base = pipelineTestConfig(infra, { scorer: { batchMaxWindows: 64 }, model: { threshold: { method: 'fixed', value: 1 } } });
  const config = { ...base, ops: { ...base.ops, port: await freePort() } };
  const failedBatches = async (): Promise<number> => {
    const text = await fetch(`http://127.0.0.1:${config.ops.port}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '');
    return Number(/^hourglass_scorer_failed_batches_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  await createPipelineTopics(config, 2);
  const kafka = createKafka(config.kafka);
  const admin = kafka.admin();
  await admin.connect();
  const redis = createRedis(config.redis.url);
  const anomalies = await collectAnomalies(config);
  const running: ReturnType<typeof startServiceProcess>[] = [];
  t.after(async () => {
    for (const p of running) await p.kill('SIGKILL');
    await anomalies.stop();
    await admin.disconnect();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const topicLimit = (bytes: number) => admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: config.topics.anomalies, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }],
  });
  /** `eventually`, with the scorer's last log lines in the failure. */
  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T> =>
    eventually(what, probe, timeoutMs, intervalMs).catch((error: Error) => {
      throw new Error(`${error.message}\nscorer log:\n${running[0]?.logs().slice(-4000)}`);
    });
  const allCommitted = async (): Promise<true | undefined> => {
    const lag = await consumerGroupLag(kafka, config.scorer.groupId, config.topics.windows);
    return lag.size > 0 && [...lag.values()].every((l) => l === 0) ? true : undefined;
  };

  const version = await installTrainedModel(config, redis);

  // Normal windows first, scored and committed while the topic accepts writes.
  const scorer = startServiceProcess('scorer', config);
  running.push(scorer);
  await produceWindows(config, SERIES.flatMap((s, i) => sineWindows(s, 100, { seed: 30 + i })));
  await until('the normal windows to be committed', allCommitted, 90_000, 300);
  assert.equal(anomalies.events.length, 0, 'normal windows publish nothing');

  // The broker now refuses every event; the windows that open the episodes arrive.
  await topicLimit(64);
  const spiky = SERIES.flatMap((s, i) => sineWindows(s, 100, { from: 100, seed: 40 + i, spikes: [SPIKE] }));
  await produceWindows(config, spiky);
  await until('the scorer to fail publishing', async () => ((await failedBatches()) >= 1 ? true : undefined), 60_000, 200);
  // Redelivered: it fails again (the fix), or, with the state moved too early, the batch looks like
  // a replay, publishes nothing and is committed (the bug; the checks below then fail on it).
  await until('the failed batch to be redelivered', async () => ((await failedBatches()) >= 2 || (await allCommitted()) ? true : undefined), 60_000, 200);
  assert.equal(anomalies.events.length, 0, 'nothing was published while the topic refused writes');

  await topicLimit(1_048_588); // Kafka's default again
  await until('every window to be committed once the broker accepts events', allCommitted, 90_000, 300);
  // Committed means published; give the collector a moment to read them (the checks below say what is missing).
  await eventually('the events to reach the collector', async () => (anomalies.events.filter((e) => e.state === 'closed').length >= SERIES.length ? true : undefined), 15_000).catch(() => undefined);

  for (const series of SERIES) {
    const opens = anomalies.events.filter((e) => e.series === series && e.state === 'open');
    const spikeWindow = spiky.find((w) => w.series === series && w.endMs === (SPIKE + 15) * 1000)!;
    const expectedId = anomalyEventId(series, 'g', spikeWindow.endMs, version);
    assert.deepEqual(opens.map((e) => e.id), [expectedId], `${series}: one open, with the failure-free id\n${scorer.logs().slice(-2000)}`);
    const episodeIds = new Set(anomalies.events.filter((e) => e.series === series).map((e) => e.episodeId));
    assert.deepEqual([...episodeIds], [expectedId], `${series}: every event of the episode names that open`);
  }
});
