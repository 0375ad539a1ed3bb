import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { ExpectedBands } from './expected-bands';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
import type { ScoringModel } from './ports';
import { createScorerMetrics } from './scorer-metrics';
import { ScorerStage } from './scorer-stage';
import { SeriesScoreGauges } from './series-gauges';

/** Episodes that open on the first anomalous window and close after three normal ones (not the shipped default), so each window's effect is visible. */
const OPEN_AT_ONCE = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 3 };
const log = createLogger({ level: 'silent' });
// Open on the first anomalous window, close after three normal ones: what these tests count on, whatever the shipped defaults.
const POLICY = { ...OPEN_AT_ONCE, openAfterWindows: 1, closeAfterWindows: 3 };

// Anomalous when the newest value exceeds 10; the band expects 1 ± 2, and records which windows it was asked for.
function model(asked: Window[]): ScoringModel {
  return {
    group: 'g', version: 'v1', threshold: 0.99, steps: 4, accepts: () => true,
    score: (windows) => windows.map((w) => {
      const anomalous = w.values[3]! > 10;
      return { rawError: w.values[3]!, score: anomalous ? 0.999 : 0.5, severity: anomalous ? 80 : 10, surprise: anomalous ? 3 : 0.3, anomalous, explanation: { topSteps: [], topChannels: [] } };
    }),
    bands: (windows, coverage) => {
      asked.push(...windows);
      return windows.map((w) => ({ ts: w.endMs, coverage, channels: [{ channel: 'value', actual: w.values[3]!, expected: 1, lower: -1, upper: 3 }] }));
    },
    dispose: () => undefined,
  };
}

const windowOf = (series: string, i: number, value: number): Window => ({
  formatVersion: 1, series, group: 'g', startMs: (i - 3) * 1000, endMs: i * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 1, 1, value), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

test('band gauges only for series with a score gauge, from their newest window; events carry the band', async () => {
  const registry = new Registry();
  const asked: Window[] = [];
  const scoreGauges = new SeriesScoreGauges(registry, { allowlist: ['kept'], topK: 0, hardCap: 5, trackedMax: 100 });
  const events = new InMemoryEventSink();
  const stage = new ScorerStage({
    models: { modelFor: () => model(asked) }, events, clean: new InMemoryCleanBuffer(), episodes: new InMemoryEpisodeStore(), policyFor: () => POLICY,
    warmupWindows: 0, cleanSampleRate: 1, maxTrackedSeries: 100, metrics: createScorerMetrics(registry), seriesGauges: scoreGauges,
    bands: new ExpectedBands({ coverage: 0.9, gauges: true, scoreGauges, registry, log }), log, now: () => 0,
  });
  // The allowlisted series has a gauge from its first batch on; the others never do (topK 0).
  await stage.process([windowOf('kept', 1, 1), windowOf('kept', 2, 2), windowOf('other', 1, 1), windowOf('other', 2, 1)]);
  await stage.process([windowOf('kept', 3, 2.5), windowOf('other', 3, 50)]);
  const metrics = await registry.metrics();
  assert.match(metrics, /hourglass_expected_value\{series="kept",group="g",channel="value"\} 1/);
  assert.match(metrics, /hourglass_expected_lower\{series="kept",group="g",channel="value"\} -1/);
  assert.match(metrics, /hourglass_expected_upper\{series="kept",group="g",channel="value"\} 3/);
  assert.doesNotMatch(metrics, /hourglass_expected_\w+\{series="other"/, 'no band gauge for a series without a score gauge');
  assert.deepEqual(asked.map((w) => [w.series, w.endMs]), [['kept', 2000], ['kept', 3000], ['other', 3000]], 'bands for the gauged series\' newest windows and the event window only');
  assert.match(metrics, /hourglass_scorer_band_windows_total\{group="g",for="gauge"\} 2/);
  assert.match(metrics, /hourglass_scorer_band_windows_total\{group="g",for="event"\} 1/);
  assert.equal(events.events.length, 1);
  assert.deepEqual(events.events[0]!.band, { ts: 3000, coverage: 0.9, channels: [{ channel: 'value', actual: 50, expected: 1, lower: -1, upper: 3 }] });
});

test('a band that fails to compute is left out; the event is still published', async () => {
  const registry = new Registry();
  const scoreGauges = new SeriesScoreGauges(registry, { allowlist: [], topK: 5, hardCap: 5, trackedMax: 100 });
  const failing: ScoringModel = { ...model([]), bands: () => { throw new Error('disposed'); } };
  const events = new InMemoryEventSink();
  const stage = new ScorerStage({
    models: { modelFor: () => failing }, events, clean: new InMemoryCleanBuffer(), episodes: new InMemoryEpisodeStore(), policyFor: () => POLICY,
    warmupWindows: 0, cleanSampleRate: 1, maxTrackedSeries: 100, metrics: createScorerMetrics(registry), seriesGauges: scoreGauges,
    bands: new ExpectedBands({ coverage: 0.9, gauges: true, scoreGauges, registry, log }), log, now: () => 0,
  });
  await stage.process([windowOf('a', 1, 50)]);
  assert.equal(events.events.length, 1);
  assert.equal(events.events[0]!.band, undefined);
});
