import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, seededRng, type HourglassConfig, type Window } from '@hourglass/core';
import { consumerGroupLag, createKafka, ensureTopics } from '@hourglass/kafka';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { startTrainerService } from '@hourglass/trainer';
import { addScrapeTarget, deleteKeys, eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { cliWithConfig } from '../support/processes';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });

/** Windows of a noisy sine whose second half (steps 8 to 15) sits flat at 1.5: a pattern the installed model has never seen. */
function plateauWindows(series: string, from: number, count: number, seed: number): Window[] {
  const rng = seededRng(seed);
  return sineWindows(series, count, { from, seed }).map((w) => {
    const values = Float32Array.from(w.values);
    for (let t = 8; t < values.length; t += 1) values[t] = 1.5 + 0.05 * rng.normal();
    return { ...w, values };
  });
}

interface Sample { metric: Record<string, string>; value: [number, string] }

/** Collects every JSON message of a topic from the beginning, while it runs. */
async function collectTopic(config: HourglassConfig, topic: string): Promise<{ values: Record<string, unknown>[]; stop(): Promise<void> }> {
  const consumer = createKafka(config.kafka).consumer({ groupId: uniqueName('collector'), sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const values: Record<string, unknown>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(JSON.parse(message.value!.toString()) as Record<string, unknown>) });
  return { values, stop: () => consumer.disconnect() };
}

test('feedback on real Kafka, Redis and Prometheus: a false positive stops alerting after the refit, a confirmed anomaly keeps alerting', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  // K = 2 as shipped, so that a lone noisy window opens no episode beside the patterns under test.
  const base = pipelineTestConfig(infra, { trainer: { gateFalseAlarmBudget: 0.05 }, episodes: { openAfterWindows: 2 } });
  // The test's own feedback topic; the trainer refits only when told to (hourglass train), so the test decides when.
  const config = compileConfig({
    ...base, topics: { ...base.topics, feedback: `${base.topics.windows}.feedback` },
    feedback: { groupId: uniqueName('feedback'), createTopic: true },
    trainer: { ...base.trainer, refitIntervalMs: 86_400_000, refitAfterNewWindows: 1_000_000 },
  });
  await createPipelineTopics(config);
  await ensureTopics(createKafka(config.kafka), [{ topic: config.topics.deadLetter, numPartitions: 1 }]);
  const redis = createRedis(config.redis.url);
  await installTrainedModel(config, redis);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const trainer = await startTrainerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  const name = uniqueName('feedback');
  const removeTarget = addScrapeTarget(infra, name, new URL(trainer.ops.url).host);
  const operator = cliWithConfig(config);
  const hourglass = operator.run;
  t.after(async () => {
    removeTarget();
    await anomalies.stop();
    await trainer.stop();
    await scorer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
    operator.remove();
  });
  const kafka = createKafka(config.kafka);
  /**
   * Resolves once the scorer has committed every window produced so far (their events, buffer and
   * held-back writes are done) and the collector has read every event on the anomalies topic.
   */
  const scored = async (what: string) => {
    await eventually(what, async () => ([...(await consumerGroupLag(kafka, config.scorer.groupId, config.topics.windows)).values()].every((lag) => lag === 0) ? true : undefined), 60_000, 500);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const published = (await admin.fetchTopicOffsets(config.topics.anomalies)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      await eventually(`the collector to read all ${published} events`, async () => (anomalies.events.length >= published ? true : undefined), 30_000);
    } finally {
      await admin.disconnect();
    }
  };
  const query = async (expr: string): Promise<Sample[]> => {
    const url = new URL('/api/v1/query', infra.prometheusUrl);
    url.searchParams.set('query', expr);
    return ((await (await fetch(url)).json()) as { data: { result: Sample[] } }).data.result;
  };
  /** Episodes of a series that opened on a window ending in [fromS, toS] seconds: the span of a pattern's windows. */
  const opens = (series: string, fromS: number, toS: number) => anomalies.events.filter((e) => {
    const endMs = Date.parse(e.windowEnd as string);
    return e.series === series && e.state === 'open' && endMs >= fromS * 1000 && endMs <= toS * 1000;
  });

  // Round 1: series a shows a plateau for 30 windows (operators will call it normal), b three spiked windows (a real fault).
  await produceWindows(config, [
    ...sineWindows('a', 100, { seed: 11 }), ...plateauWindows('a', 100, 30, 12), ...sineWindows('a', 70, { from: 130, seed: 13 }),
    ...sineWindows('b', 200, { seed: 21, spikes: [100, 101, 102] }),
  ]);
  await scored('round 1 to be scored');
  // Window i ends at i + 15 s: the plateau's windows end from 115 s, the spikes' at 115 to 117 s.
  const [fp, real] = [opens('a', 115, 145), opens('b', 115, 118)];
  assert.equal(fp.length, 1, `one episode on a's plateau: ${JSON.stringify(fp.map((e) => e.windowEnd))}`);
  assert.equal(real.length, 1, 'one episode on b\'s spike');

  // Verdicts: the false positive with the CLI, the confirmation through the topic, with a malformed message beside it.
  const recorded = JSON.parse(hourglass('feedback', '--event', fp[0]!.episodeId as string, '--verdict', 'false-positive', '--note', 'nightly batch job', '--json')) as { windows: number; by: string; series: string };
  assert.equal(recorded.series, 'a');
  assert.equal(recorded.by, 'oncall');
  assert.ok(recorded.windows >= 30, `the plateau's windows are stored with the verdict (${recorded.windows})`);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: config.topics.feedback, acks: -1,
    messages: [{ value: JSON.stringify({ event: real[0]!.episodeId, verdict: 'confirmed', by: 'sre', note: 'disk failure' }) }, { value: '{"event":"x","verdict":"perhaps"}' }],
  });
  await producer.disconnect();
  const listed = await eventually('the trainer to record the topic\'s verdict', async () => {
    const list = JSON.parse(hourglass('feedback', '--list', '--json')) as { verdict: string; by: string; source: string; windows: number }[];
    return list.length === 2 ? list : undefined;
  }, 30_000, 500);
  const confirmed = listed.find((f) => f.verdict === 'confirmed')!;
  assert.deepEqual([confirmed.by, confirmed.source], ['sre', 'topic']);
  assert.ok(confirmed.windows >= 3, `b's spiked windows are stored (${confirmed.windows})`);

  // Metrics, on the real Prometheus: counts by group and verdict, the reported precision, the refused message.
  await eventually('Prometheus to scrape the feedback metrics', async () => {
    const [verdicts, precision, refused] = await Promise.all([
      query(`hourglass_feedback_verdicts{test="${name}",group="g"}`), query(`hourglass_feedback_reported_precision{test="${name}",group="g"}`),
      query(`hourglass_feedback_messages_total{test="${name}",outcome="invalid_feedback"}`),
    ]);
    const by = Object.fromEntries(verdicts.map((s) => [s.metric.verdict, Number(s.value[1])]));
    return by['false-positive'] === 1 && by.confirmed === 1 && Number(precision[0]?.value[1]) === 0.5 && Number(refused[0]?.value[1]) === 1 ? true : undefined;
  }, 60_000, 500);
  // The malformed message is on the dead-letter topic, with the bad field named.
  const letters = await collectTopic(config, config.topics.deadLetter);
  t.after(() => letters.stop());
  const letter = await eventually('the refused message on the dead-letter topic', async () => letters.values.find((l) => l.topic === config.topics.feedback), 30_000);
  assert.equal(letter.reason, 'invalid_feedback');
  assert.match(String(letter.detail), /verdict/);
  assert.equal(letter.value, '{"event":"x","verdict":"perhaps"}');
  // The verdict reaches "similar": the episode's stored code says it.
  assert.match(hourglass('similar', '--event', fp[0]!.episodeId as string), /marked false positive/);

  // The refit learns the false positive and keeps the confirmed anomaly; the scorer hot-swaps to it.
  // The command's last line is its outcome (warnings of the fit, if any, are log lines before it).
  const trained = hourglass('train', '--group', 'g', '--json');
  const refit = JSON.parse(trained.trim().split('\n').at(-1)!) as { status: string; version: string };
  assert.equal(refit.status, 'promoted', trained);
  const shown = hourglass('models', 'show', '--group', 'g', '--version', refit.version);
  const report = JSON.parse(shown) as { report: { feedback: { falsePositives: { episodeId: string; windows: number }[]; confirmed: { episodeId: string; check: { kept: boolean } }[] } } };
  assert.deepEqual(report.report.feedback.falsePositives.map((f) => f.episodeId), [fp[0]!.episodeId], 'models show lists the false positive the version learned');
  assert.deepEqual(report.report.feedback.confirmed.map((c) => [c.episodeId, c.check.kept]), [[real[0]!.episodeId, true]]);
  await eventually('the scorer to load the refitted model', async () => {
    const text = await (await fetch(`${scorer.ops.url}/metrics`)).text();
    return text.includes(`hourglass_scorer_model_info{group="g",version="${refit.version}"} 1`) ? true : undefined;
  }, 30_000);

  // Round 2: the same two patterns, later (other phases of the cycle): a stays quiet, b alerts again.
  await produceWindows(config, [
    ...sineWindows('a', 100, { from: 300, seed: 31 }), ...plateauWindows('a', 400, 30, 32), ...sineWindows('a', 70, { from: 430, seed: 33 }),
    ...sineWindows('b', 200, { from: 300, seed: 41, spikes: [400, 401, 402] }),
  ]);
  await scored('round 2 to be scored');
  assert.deepEqual(opens('a', 415, 445).map((e) => e.windowEnd), [], 'the refitted model no longer alerts on the pattern marked false positive');
  assert.equal(opens('b', 415, 418).length, 1, 'the confirmed pattern still opens an episode');
});
