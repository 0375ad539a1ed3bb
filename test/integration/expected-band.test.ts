import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExpectedBand } from '@hourglass/core';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { addScrapeTarget, deleteKeys, eventually, integrationInfrastructure, uniqueName } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });

interface Sample { metric: Record<string, string>; value: [number, string] }

test('expected-value band on real Kafka, Redis and Prometheus: gauges for the allowlisted series only, and the band on anomaly events', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  // One allowlisted series, no top-K: "other" gets no score gauge, so no band gauge either.
  const config = pipelineTestConfig(infra, { scorer: { seriesGaugeAllowlist: ['watched'], seriesGaugeTopK: 0, bandCoverage: 0.9 } });
  await createPipelineTopics(config);
  const redis = createRedis(config.redis.url);
  await installTrainedModel(config, redis);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  const name = uniqueName('band');
  const removeTarget = addScrapeTarget(infra, name, new URL(scorer.ops.url).host);
  t.after(async () => {
    removeTarget();
    await anomalies.stop();
    await scorer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const query = async (expr: string): Promise<Sample[]> => {
    const url = new URL('/api/v1/query', infra.prometheusUrl);
    url.searchParams.set('query', expr);
    return ((await (await fetch(url)).json()) as { data: { result: Sample[] } }).data.result;
  };

  // The newest window of "watched" is a spike: its gauges must then show the actual value above the band.
  await produceWindows(config, [...sineWindows('watched', 80, { spikes: [79] }), ...sineWindows('other', 80, { seed: 2, spikes: [60] })]);
  const samples = await eventually('Prometheus to scrape the band gauges', async () => {
    const [value, lower, upper, actual] = await Promise.all(['value', 'lower', 'upper'].map((k) => query(`hourglass_expected_${k}{test="${name}"}`)).concat([query(`hourglass_actual_value{test="${name}"}`)]));
    return value!.length > 0 && lower!.length > 0 && upper!.length > 0 && actual!.length > 0 ? { value: value!, lower: lower!, upper: upper!, actual: actual! } : undefined;
  }, 60_000, 500);
  for (const kind of ['value', 'lower', 'upper', 'actual'] as const) {
    assert.deepEqual(samples[kind].map((s) => [s.metric.series, s.metric.group, s.metric.channel]), [['watched', 'g', 'value']], `hourglass_expected_${kind}: the allowlisted series alone`);
  }
  const [lo, mid, hi, actual] = [samples.lower, samples.value, samples.upper, samples.actual].map((s) => Number(s[0]!.value[1]));
  assert.ok(lo! < mid! && mid! < hi! && hi! - lo! < 3, `a band around the expected value, in the sine's units: ${lo} < ${mid} < ${hi}`);
  assert.ok(actual! > hi!, `the spiked newest value (${actual}) is above the band (${hi})`);
  assert.equal((await query(`hourglass_series_anomaly_score{test="${name}", series="other"}`)).length, 0, 'other has no score gauge');

  // An anomaly event of "other" carries the band of its window's newest step, and actual and expected at its top steps.
  const open = await eventually('an event of other', async () => anomalies.events.find((e) => e.series === 'other' && e.state === 'open'), 30_000);
  const band = open.band as ExpectedBand;
  assert.equal(band.coverage, 0.9);
  assert.equal(band.ts, Date.parse(open.windowEnd as string));
  const c = band.channels[0]!;
  assert.equal(c.channel, 'value');
  assert.ok(c.lower! < c.expected && c.expected < c.upper! && Number.isFinite(c.actual), `a band in data units: ${JSON.stringify(c)}`);
  const steps = (open.explanation as { topSteps: { step: number; values?: { channel: string; actual: number | null; expected: number }[] }[] }).topSteps;
  assert.ok(steps.length > 0 && steps.every((s) => s.values?.[0]?.channel === 'value' && Number.isFinite(s.values[0].expected)), `actual and expected at every top step: ${JSON.stringify(steps)}`);
  const newest = steps.find((s) => s.step === 15);
  if (newest) assert.equal(newest.values![0]!.actual, c.actual, 'the newest step agrees with the band');
});
