import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, maintenancePeriodSchema, type MaintenancePeriod, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
import { MaintenanceSchedule } from './maintenance';
import type { ScoringModel } from './ports';
import { createScorerMetrics } from './scorer-metrics';
import { ScorerStage } from './scorer-stage';
import { SeriesScoreGauges } from './series-gauges';

/** Episodes that open on the first anomalous window and close after three normal ones (not the shipped default), so each window's effect is visible. */
const OPEN_AT_ONCE = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 3 };
const log = createLogger({ level: 'silent' });
// Open on the first anomalous window, close after three normal ones: what these tests count on, whatever the shipped defaults.
const POLICY = { ...OPEN_AT_ONCE, openAfterWindows: 1, closeAfterWindows: 3 };

// A window is anomalous when its newest value exceeds 10.
const model: ScoringModel = {
  group: 'g', version: 'v1', threshold: 0.99, steps: 4, accepts: () => true,
  score: (windows) => windows.map((w) => {
    const anomalous = w.values[3]! > 10;
    return { rawError: w.values[3]!, score: anomalous ? 0.999 : 0.5, severity: anomalous ? 80 : 10, surprise: anomalous ? 3 : 0.3, anomalous, explanation: { topSteps: [], topChannels: [] } };
  }),
  dispose: () => undefined,
};

const windowOf = (series: string, i: number, value: number): Window => ({
  formatVersion: 1, series, group: 'g', startMs: (i - 3) * 1000, endMs: i * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 1, 1, value), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

function setup(configured: MaintenancePeriod[], withModel = true) {
  const registry = new Registry();
  const runtime: (MaintenancePeriod & { id: string })[] = [];
  const maintenance = new MaintenanceSchedule({ configured, source: { list: async () => ({ periods: runtime, invalid: [] }) }, registry, log });
  const events = new InMemoryEventSink();
  const clean = new InMemoryCleanBuffer();
  const stage = new ScorerStage({
    models: { modelFor: () => (withModel ? model : null) }, events, clean, episodes: new InMemoryEpisodeStore(), policyFor: () => POLICY,
    warmupWindows: 100, cleanSampleRate: 1, maxTrackedSeries: 100, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: ['a'], topK: 0, hardCap: 5, trackedMax: 100 }), maintenance, log, now: () => 0,
  });
  return { stage, events, clean, maintenance, runtime, registry };
}

const period = (p: object): MaintenancePeriod => maintenancePeriodSchema.parse(p);

test('a window overlapping maintenance moves no episode and stays out of the buffer; its score is still exported and labelled', async () => {
  // Maintenance covers event times [10 s, 20 s) of series a: windows ending 10..22 s overlap it (each spans 3 s).
  const { stage, events, clean, registry } = setup([period({ series: 'a', from: 10_000, to: 20_000 })]);
  await stage.process([windowOf('a', 12, 50), windowOf('b', 12, 50), windowOf('a', 13, 1)]);
  assert.deepEqual(events.events.map((e) => [e.series, e.state]), [['b', 'open']], 'only the series outside maintenance opens an episode');
  assert.deepEqual((await clean.recent('g', 10)).map((w) => w.series), [], 'nothing of a is buffered; b is in its episode');
  const metrics = await registry.metrics();
  assert.match(metrics, /hourglass_series_maintenance\{series="a",group="g"\} 1/);
  assert.match(metrics, /hourglass_series_anomaly_score\{series="a",group="g"\} 0.5/);
  assert.match(metrics, /hourglass_scorer_maintenance_windows_total\{group="g"\} 2/);
  // After the period (a window from 23 s on holds no point of it) the series is watched again: the spike opens an episode.
  await stage.process([windowOf('a', 22, 1), windowOf('a', 23, 1), windowOf('a', 24, 50)]);
  assert.deepEqual(events.events.map((e) => [e.series, e.state, e.windowEnd]), [['b', 'open', new Date(12_000).toISOString()], ['a', 'open', new Date(24_000).toISOString()]]);
  assert.deepEqual((await clean.recent('g', 10)).map((w) => w.endMs), [23_000], 'the window ending at 22 s still holds a point of it');
  assert.match(await registry.metrics(), /hourglass_series_maintenance\{series="a",group="g"\} 0/);
});

test('a run-time period takes effect on the next refresh, and cold-start windows inside one are not buffered', async () => {
  const { stage, clean, maintenance, runtime } = setup([], false);
  await maintenance.start();
  await stage.process([windowOf('a', 5, 1)]);
  runtime.push({ ...period({ groups: ['g'], from: 0, to: 100_000 }), id: 'm-1' });
  await stage.process([windowOf('a', 6, 1)]);
  assert.equal((await clean.recent('g', 10)).length, 2, 'before the refresh the new period is not known yet');
  await maintenance.refresh();
  await stage.process([windowOf('a', 7, 1)]);
  assert.deepEqual((await clean.recent('g', 10)).map((w) => w.endMs), [5000, 6000]);
  runtime.pop();
  await maintenance.refresh();
  await stage.process([windowOf('a', 8, 1)]);
  assert.deepEqual((await clean.recent('g', 10)).map((w) => w.endMs), [5000, 6000, 8000], 'removed: buffered again');
  maintenance.stop();
});

test('a failing source keeps the last periods read', async () => {
  const registry = new Registry();
  let fail = false;
  const schedule = new MaintenanceSchedule({
    configured: [], registry, log,
    source: { list: async () => { if (fail) throw new Error('redis down'); return { periods: [{ ...period({ series: '*', from: 0, to: 10 }), id: 'x' }], invalid: [] }; } },
  });
  await schedule.refresh();
  fail = true;
  await schedule.refresh();
  assert.deepEqual(schedule.calendar().periods.map((p) => p.id), ['x']);
  assert.match(await registry.metrics(), /hourglass_scorer_maintenance_refresh_failures_total 1/);
  assert.equal(schedule.mask('g', [windowOf('a', 100, 1)]), null, 'a window outside every period: no mask');
});
