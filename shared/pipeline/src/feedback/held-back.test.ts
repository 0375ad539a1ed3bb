import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, episodeWindows, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from '../scorer/in-memory';
import type { ScoringModel } from '../scorer/ports';
import { createScorerMetrics } from '../scorer/scorer-metrics';
import { ScorerStage } from '../scorer/scorer-stage';
import { SeriesScoreGauges } from '../scorer/series-gauges';
import { InMemoryHeldBack } from './in-memory';
import { weightedFalsePositives } from './training-feedback';

// A stand-in model: a window is anomalous when its newest value exceeds 10.
const model: ScoringModel = {
  group: 'g', version: 'v1', threshold: 0.99, steps: 4, accepts: () => true,
  score: (windows) => windows.map((w) => {
    const anomalous = w.values[w.values.length - 1]! > 10;
    return { rawError: 0, score: anomalous ? 0.999 : 0.5, severity: anomalous ? 80 : 10, surprise: anomalous ? 3 : 0.3, anomalous, explanation: { topSteps: [], topChannels: [] } };
  }),
  dispose: () => undefined,
};
const windowOf = (i: number, value: number): Window => ({
  formatVersion: 1, series: 'a', group: 'g', startMs: (i - 3) * 1000, endMs: i * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 1, 1, value), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

function stageWith(heldBack: InMemoryHeldBack, failing = false) {
  const registry = new Registry();
  const events = new InMemoryEventSink();
  const clean = new InMemoryCleanBuffer();
  const metrics = createScorerMetrics(registry);
  const stage = new ScorerStage({
    models: { modelFor: () => model }, events, clean, episodes: new InMemoryEpisodeStore(),
    policyFor: () => ({ ...EPISODE_DEFAULTS, openAfterWindows: 2, closeAfterWindows: 2 }),
    warmupWindows: 5, cleanSampleRate: 1, maxTrackedSeries: 100, metrics,
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 1, hardCap: 1, trackedMax: 10 }),
    heldBack: failing ? { append: async () => Promise.reject(new Error('redis down')) } : heldBack,
    log: createLogger({ level: 'silent' }), now: () => 1e12,
  });
  return { stage, events, clean, registry };
}

test('the scorer stores the windows it keeps out of the buffer, tagged with their episode; the episode\'s windows include its onset', async () => {
  const heldBack = new InMemoryHeldBack();
  const { stage, events, clean } = stageWith(heldBack);
  // 0-1 normal; 2 anomalous (K = 2: no episode yet), 3-4 anomalous (open at 3), 5-6 normal (closes at 6), 7 clean.
  await stage.process([1, 1, 50, 60, 70, 1, 1, 1].map((v, i) => windowOf(i, v)));
  const episodeId = events.events.find((e) => e.state === 'open')!.episodeId;
  const held = await heldBack.read('g');
  assert.deepEqual(held.map((h) => [h.window.endMs / 1000, h.episodeId]), [[2, null], [3, episodeId], [4, episodeId], [5, episodeId], [6, episodeId]]);
  assert.deepEqual((await clean.recent('g', 100)).map((w) => w.endMs / 1000), [0, 1, 7], 'and only the others are clean');
  assert.deepEqual(episodeWindows(held, episodeId, 100).map((w) => w.endMs / 1000), [2, 3, 4, 5, 6]);
});

test('a failed held-back write is counted and survived: the batch completes', async () => {
  const { stage, events, registry } = stageWith(new InMemoryHeldBack(), true);
  const outcome = await stage.process([1, 50, 60, 1, 1].map((v, i) => windowOf(i, v)));
  assert.equal(outcome.events.length, 2);
  assert.equal(events.events.length, 2);
  assert.match(await registry.metrics(), /hourglass_scorer_held_back_drops_total\{group="g"\} 4/);
});

test('false positives are repeated `weight` times, but never beyond maxWindows: fewer repeats, then the newest verdicts only', () => {
  const episode = (id: string, from: number, n: number) => ({
    feedback: { v: 1 as const, episodeId: id, eventId: id, group: 'g', series: 'a', verdict: 'false-positive' as const, note: null, by: 'x', at: '2026-12-01T00:00:00.000Z', source: 'cli' as const, windows: n },
    windows: Array.from({ length: n }, (_, i) => windowOf(from + i, 1)),
  });
  const ends = (ws: readonly Window[]) => ws.map((w) => w.endMs / 1000);
  const older = episode('E1', 0, 3);
  const newer = episode('E2', 10, 2);
  assert.deepEqual(ends(weightedFalsePositives([older, newer], 2)), [0, 1, 2, 10, 11, 0, 1, 2, 10, 11]);
  assert.equal(weightedFalsePositives([older, newer], 10, 12).length, 10, 'two repeats of five fit in twelve');
  assert.deepEqual(ends(weightedFalsePositives([older, newer], 10, 3)), [2, 10, 11], 'the newest verdicts\' windows, once');
});
