// Every query of every dashboard panel, with its variables filled in, returns data through the real
// Prometheus' HTTP API, scraping real /metrics endpoints whose registries are built
// with the services' own metric factories and given values. The same check against a running
// pipeline is test/integration/pipeline-dashboards.test.ts.
import { test } from 'node:test';
import type { Registry } from 'prom-client';
import type { Window } from '@hourglass/core';
import { createLogger, createMetricsRegistry, exportBackendInfo, startOpsServer } from '@hourglass/runtime';
import { createIncidentsMetrics, createScorerMetrics, createTrainerMetrics, ExpectedBands, SeriesScoreGauges, type ScoringModel } from '@hourglass/pipeline';
import { createIngestMetrics } from '@hourglass/ingest';
import { integrationInfrastructure, uniqueName } from '../support/fixtures';
import { assertDashboardsReturnData, type PipelineTarget } from '../support/deploy-dashboards';

/** Registries shaped exactly like the four services', with every metric given values, kept moving by a ticker. */
function exampleRegistries(group: string): { registries: Record<PipelineTarget['service'], Registry>; tick: () => void } {
  const scorerRegistry = createMetricsRegistry('scorer');
  exportBackendInfo(scorerRegistry, 'tensorflow');
  const scorer = createScorerMetrics(scorerRegistry);
  const undecodable = scorer.undecodable;
  const gauges = new SeriesScoreGauges(scorerRegistry, { allowlist: [`${group}-s1`], topK: 5, hardCap: 10, trackedMax: 100 });
  const bands = new ExpectedBands({ coverage: 0.95, gauges: true, scoreGauges: gauges, registry: scorerRegistry, log: createLogger({ level: 'silent' }) });
  // The band gauges' values come from a model's bands(); this one expects 1 with a band of ±0.5.
  const bandModel = { group, version: 'v3', bands: (windows: readonly Window[], coverage: number) => windows.map((w) => ({ ts: w.endMs, coverage, channels: [{ channel: 'value', actual: 1.2, expected: 1, lower: 0.5, upper: 1.5 }] })) } as unknown as ScoringModel;
  const trainerRegistry = createMetricsRegistry('trainer');
  exportBackendInfo(trainerRegistry, 'tensorflow');
  const trainer = createTrainerMetrics(trainerRegistry);
  const ingestRegistry = createMetricsRegistry('ingest');
  const ingest = createIngestMetrics(ingestRegistry, () => 42);
  const incidentsRegistry = createMetricsRegistry('incidents');
  const incidents = createIncidentsMetrics(incidentsRegistry);
  incidents.open.set({ group }, 2);
  scorer.threshold.set({ group }, 0.9);
  scorer.modelInfo.set({ group, version: 'v3' }, 1);
  scorer.modelLoaded.set({ group }, 1);
  scorer.openEpisodes.set({ group }, 1);
  trainer.lastSuccess.set({ group }, Date.now() / 1000 - 600);
  trainer.loss.set({ group, split: 'train' }, 0.012);
  trainer.loss.set({ group, split: 'validation' }, 0.015);
  trainer.bufferSize.set({ group }, 5000);
  trainer.threshold.set({ group }, 0.9);
  ingest.lag.set({ topic: 'hourglass.points', partition: '0' }, 12);
  let i = 0;
  const tick = (): void => {
    i++;
    scorer.windows.inc({ group }, 100);
    scorer.scores.observe({ group }, (i % 10) / 10);
    scorer.anomalies.inc({ group, band: String(i % 4) });
    scorer.episodes.inc({ group, state: 'open', band: String(i % 4) });
    scorer.modelSwaps.inc({ group, outcome: 'loaded' });
    scorer.inferenceSeconds.observe({ group }, 0.004);
    scorer.batchSize.observe(64);
    scorer.eventLatency.observe({ from: 'ingest' }, 0.2);
    scorer.eventLatency.observe({ from: 'event' }, 1.5);
    scorer.bufferWrites.inc({ group }, 90);
    scorer.bufferDrops.inc({ group }, 0);
    scorer.coldStartWindows.inc({ group }, 1);
    scorer.unscorable.inc({ group }, 1);
    undecodable.inc(0);
    gauges.observe(`${group}-s1`, group, 0.5 + (i % 5) / 10);
    gauges.observe(`${group}-s2`, group, 0.3);
    bands.updateGauges(bandModel, group, [{ series: `${group}-s1`, group, endMs: i * 1000 } as unknown as Window]);
    trainer.fits.inc({ group, outcome: 'promoted', reason: 'gate_passed' });
    trainer.duration.observe({ group }, 12);
    ingest.points.inc({ outcome: 'accepted' }, 1000);
    ingest.windows.inc(100);
    ingest.deadLetters.inc({ reason: 'bad_value' });
    ingest.latePoints.inc();
    ingest.duplicatePoints.inc();
    ingest.evictions.inc();
    ingest.produceSeconds.observe(0.01);
    incidents.messages.inc({ group, state: 'open', band: String(i % 4) });
    incidents.events.inc({ outcome: i % 2 === 0 ? 'opened' : 'joined' });
  };
  return { registries: { scorer: scorerRegistry, trainer: trainerRegistry, ingest: ingestRegistry, incidents: incidentsRegistry }, tick };
}

test('every dashboard panel query returns data through Prometheus, scraping the services\' real metric definitions', { timeout: 120_000 }, async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const name = uniqueName('dashboards');
  const { registries, tick } = exampleRegistries(uniqueName('grp'));
  tick();
  const timer = setInterval(tick, 200);
  t.after(() => clearInterval(timer));
  const targets: PipelineTarget[] = [];
  for (const service of ['ingest', 'scorer', 'trainer', 'incidents'] as const) {
    const server = await startOpsServer({ registry: registries[service], host: '127.0.0.1', port: 0, readiness: () => ({ ready: true, details: {} }) });
    t.after(() => server.close());
    targets.push({ service, address: `127.0.0.1:${server.port}` });
  }
  await assertDashboardsReturnData(infra, name, targets, { timeoutMs: 60_000 });
});
