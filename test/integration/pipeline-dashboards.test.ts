import { test } from 'node:test';
import { compileConfig, seededRng } from '@hourglass/core';
import { createKafka, ensureTopics } from '@hourglass/kafka';
import { createRedis, redisKeys, ModelRegistry } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startIngest } from '@hourglass/ingest';
import { startScorerService } from '@hourglass/scorer';
import { startTrainerService } from '@hourglass/trainer';
import { startIncidentsService } from '@hourglass/incidents';
import { assertDashboardsReturnData } from '../support/deploy-dashboards';
import { eventually, integrationInfrastructure, uniqueName, deleteKeys } from '../support/fixtures';
import { collectAnomalies } from '../support/pipeline-fixtures';

const log = createLogger({ level: 'silent' });

/**
 * The whole distributed pipeline (ingest, scorer, trainer and incidents services on the real
 * Kafka and Redis) runs on demo data with anomalies while the real Prometheus scrapes it; then every query
 * of every dashboard panel, with its variables filled in, must return data.
 */
test('a running pipeline makes every dashboard panel return data through Prometheus', { timeout: 400_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const id = uniqueName('dash');
  const config = compileConfig({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    redis: { url: infra.redisUrl, keyPrefix: `${id}:` },
    log: { level: 'silent' },
    topics: { windows: `${id}.windows`, anomalies: `${id}.anomalies`, deadLetter: `${id}.dlq`, incidents: `${id}.incidents` },
    ingest: { groupId: `${id}-ingest`, topics: [`${id}.points`], sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
    scorer: { groupId: `${id}-scorer`, batchMaxWaitMs: 20, warmupWindows: 400, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, seriesGaugeTopK: 5 },
    incidents: { groupId: `${id}-incidents`, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
    // Fits on at most 2,000 windows keep each fit short. All four services share this process's event
    // loop, and the buffer fills while the panels are checked: with the default 20,000, one loaded CI
    // run waited 180 s with no fit ending inside a 10 s rate window and no incident counted (a starved
    // loop is the likely cause, not proven); beside three busy loops the test took 44 s, with the cap 22 s.
    trainer: { minWindows: 300, maxWindows: 2000, checkIntervalMs: 300, refitAfterNewWindows: 200, retryAfterMissMs: 2000 },
    groups: [{
      name: 'web', match: { series: ['web.latency_ms'] }, window: { lengthSteps: 32, intervalMs: 300_000 },
      episodes: { openAfterWindows: 1, closeAfterWindows: 3, ongoingIntervalMs: 0 },
      model: { epochs: 20, batchSize: 128, seed: 3 },
    }],
  });
  const kafka = createKafka(config.kafka);
  await ensureTopics(kafka, [`${id}.points`, `${id}.windows`, `${id}.dlq`, `${id}.anomalies`, `${id}.incidents`].map((topic) => ({ topic, numPartitions: 2 })));
  const trainer = await startTrainerService(config, log, { requireNative: false });
  const scorer = await startScorerService(config, log, { requireNative: false });
  const ingest = await startIngest({ config, log });
  const incidents = await startIncidentsService(config, log);
  const anomalies = await collectAnomalies(config);
  const redis = createRedis(config.redis.url);
  t.after(async () => {
    await anomalies.stop();
    await ingest.stop();
    await incidents.stop();
    await scorer.stop();
    await trainer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });

  // A latency-like series every five minutes: daily seasonality and noise, and from step 1500 on,
  // a spike every 150 steps. The clean start warms the buffer up for the trainer's first fit.
  const rng = seededRng(5);
  const point = (step: number) => {
    const base = 120 + 40 * Math.sin((2 * Math.PI * step) / 288) + 4 * rng.normal();
    const spike = step >= 1500 && step % 150 < 2 ? 260 : 0;
    return { key: 'web.latency_ms', value: JSON.stringify({ series: 'web.latency_ms', ts: Date.UTC(2026, 0, 1) + step * 300_000, value: base + spike }) };
  };
  const producer = kafka.producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  let step = 0;
  const send = async (count: number) => {
    const messages = Array.from({ length: count }, () => point(step++));
    await producer.send({ topic: `${id}.points`, acks: -1, messages });
  };
  await send(1000);
  await producer.send({ topic: `${id}.points`, messages: [{ key: 'bad', value: '{not json' }] });
  const registry = new ModelRegistry(redis, redisKeys(config.redis.keyPrefix));
  await eventually('the first model', async () => ((await registry.current('web')) ? true : undefined), 120_000, 500).catch(async (error: unknown) => {
    throw new Error(`${String(error)}; gate decisions: ${JSON.stringify(await registry.decisions('web'))}`);
  });
  await eventually('the scorer to load it', async () => ((await fetch(`${scorer.ops.url}/readyz`).then((r) => r.json())) as { models: Record<string, string | null> }).models.web || undefined, 30_000);

  // Traffic keeps flowing while the dashboards are checked, so rates are rates, not gaps.
  let flowing = true;
  const traffic = (async () => {
    while (flowing) {
      await send(50);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  t.after(async () => {
    flowing = false;
    await traffic;
  });
  await eventually('anomaly events', async () => (anomalies.events.some((e) => e.state === 'open') ? true : undefined), 60_000, 500);

  const address = (url: string) => new URL(url).host;
  await assertDashboardsReturnData(infra, id, [
    { service: 'ingest', address: address(ingest.ops.url) },
    { service: 'scorer', address: address(scorer.ops.url) },
    { service: 'trainer', address: address(trainer.ops.url) },
    { service: 'incidents', address: address(incidents.ops.url) },
  ], { timeoutMs: 180_000 });
});
