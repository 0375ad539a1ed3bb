import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, seededRng, type AnomalyEvent, type Window } from '@hourglass/core';
import { type AnomalyModel, fitModel } from '@hourglass/model';
import { legacyScore } from '@hourglass/model/dist/testing/legacy-score';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
import { toScoringModel } from './model-adapter';
import type { ScoringModel } from './ports';
import { createScorerMetrics } from './scorer-metrics';
import { ScorerStage } from './scorer-stage';
import { SeriesScoreGauges } from './series-gauges';
import { LegacyScorerStage, legacyScoringModel } from './testing/legacy-stage';

/** Episodes that open on the first anomalous window and close after three normal ones (not the shipped default), so each window's effect is visible. */
const OPEN_AT_ONCE = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 3 };
// Issue 17, item 5: the lean path (scores reduced on the backend, no mask upload when nothing is
// missing, explanations and event ids only for windows that emit) against the frozen pre-17 path,
// on the same stream: the same scores within float32 rounding, the same episodes, the same ids.

const W = 32;
const SERIES = 10;
const STEPS = 260;
const rng = seededRng(17);
const noise = (): number => 0.05 * (rng.next() - 0.5);

/** One series' values: a sine with spikes, a level shift and a run of missing points, per series at other steps. */
function seriesValues(s: number): { values: Float32Array; observed: Uint8Array } {
  const values = new Float32Array(STEPS);
  const observed = new Uint8Array(STEPS).fill(1);
  for (let t = 0; t < STEPS; t++) {
    values[t] = Math.sin((2 * Math.PI * (t + 3 * s)) / 16) + noise();
    if (t % 70 === (11 * s) % 70 && t > W) values[t] = values[t]! + 6; // a spike
    if (s % 3 === 0 && t >= 150 + s && t < 175 + s) values[t] = values[t]! + 2.5; // a level shift: a longer episode
  }
  if (s % 2 === 1) for (let t = 100 + s; t < 106 + s; t++) observed[t] = 0; // missing points: masked windows
  if (s === 4) for (let t = 200; t < 200 + W; t++) observed[t] = 0; // a window with nothing observed at all
  return { values, observed };
}

/** The stream as the windows topic would carry it: step by step, every series' window of that step. */
function stream(group: string): Window[] {
  const all = Array.from({ length: SERIES }, (_, s) => seriesValues(s));
  const out: Window[] = [];
  for (let end = W - 1; end < STEPS; end++) {
    all.forEach(({ values, observed }, s) => {
      const from = end - W + 1;
      const mask = observed.slice(from, end + 1);
      const v = values.slice(from, end + 1).map((x, k) => (mask[k] === 1 ? x : 0));
      out.push({ formatVersion: 1, series: `s${s}`, group, startMs: from * 1000, endMs: end * 1000, intervalMs: 1000, channels: ['value'], values: v, mask, ingestedAtMs: end * 1000 });
    });
  }
  return out;
}

function training(n: number): Window[] {
  return Array.from({ length: n }, (_, i) => {
    const phase = i % 16;
    const values = Float32Array.from({ length: W }, (_, t) => Math.sin((2 * Math.PI * (t + phase)) / 16) + noise());
    return { formatVersion: 1, series: `t${i}`, group: 'train', startMs: 0, endMs: (W - 1) * 1000, intervalMs: 1000, channels: ['value'], values, mask: new Uint8Array(W).fill(1), ingestedAtMs: 0 };
  });
}

function stageOptions(group: string, model: ScoringModel) {
  const registry = new Registry();
  return {
    models: { modelFor: (g: string) => (g === group ? model : null) }, events: new InMemoryEventSink(), clean: new InMemoryCleanBuffer(),
    episodes: new InMemoryEpisodeStore(), policyFor: () => ({ ...OPEN_AT_ONCE, ongoingIntervalMs: 5000 }), warmupWindows: 0, cleanSampleRate: 1,
    maxTrackedSeries: 1000, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 5, hardCap: 10, trackedMax: 100 }), log: createLogger({ level: 'silent' }), now: () => 1e12,
  };
}

const closeTo = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

function sameEvents(lean: readonly AnomalyEvent[], old: readonly AnomalyEvent[]): void {
  assert.deepEqual(lean.map((e) => [e.id, e.episodeId, e.state, e.series, e.windowEnd, e.modelVersion]), old.map((e) => [e.id, e.episodeId, e.state, e.series, e.windowEnd, e.modelVersion]));
  lean.forEach((e, i) => {
    const o = old[i]!;
    closeTo(e.score, o.score, `score of ${e.id}`);
    closeTo(e.severity, o.severity, `severity of ${e.id}`);
    // The explanation is recomputed for the emitting rows only: the same steps and channels, shares within float32 rounding.
    const steps = (x: AnomalyEvent) => x.explanation.topSteps;
    assert.deepEqual(new Set(steps(e).map((s) => s.step)), new Set(steps(o).map((s) => s.step)), `explained steps of ${e.id}`);
    steps(e).forEach((s) => closeTo(s.share, steps(o).find((x) => x.step === s.step)!.share, `share of step ${s.step} in ${e.id}`));
    assert.deepEqual(e.explanation.topChannels.map((c) => c.channel), o.explanation.topChannels.map((c) => c.channel));
  });
}

async function compare(model: AnomalyModel, group: string): Promise<void> {
  const windows = stream(group);
  const lean = stageOptions(group, toScoringModel(model, group, 'v1'));
  const old = stageOptions(group, legacyScoringModel(model, group, 'v1'));
  const leanStage = new ScorerStage(lean);
  const oldStage = new LegacyScorerStage(old);
  // Uneven batches, so batch boundaries fall inside episodes.
  for (let start = 0, size = 97; start < windows.length; start += size, size = size === 97 ? 311 : 97) {
    const batch = windows.slice(start, start + size);
    await leanStage.process(batch);
    await oldStage.process(batch);
  }
  const states = (es: readonly AnomalyEvent[]) => new Set(es.map((e) => e.state));
  assert.deepEqual(states(old.events.events), new Set(['open', 'ongoing', 'closed']), 'the stream exercises every episode state');
  sameEvents(lean.events.events, old.events.events);
  const buffered = async (c: InMemoryCleanBuffer) => (await c.recent(group, 1e9)).map((w) => `${w.series}@${w.endMs}`);
  assert.deepEqual(await buffered(lean.clean), await buffered(old.clean), 'the same windows go to the clean buffer');

  // And window by window: a batch with masked windows (one with nothing observed), and one with
  // every value observed, which the lean path scores without a mask.
  const complete = windows.filter((w) => !w.mask.includes(0));
  assert.ok(windows.some((w) => w.mask.every((m) => m === 0)) && complete.length < windows.length);
  for (const some of [windows, complete]) {
    const batch = model.scoreBatch(some);
    legacyScore(model, some).forEach((r, i) => {
      closeTo(batch.rawError[i]!, r.rawError, `raw error of window ${i}`);
      closeTo(batch.score[i]!, r.score, `score of window ${i}`);
      assert.equal(batch.anomalous[i] === 1, r.isAnomaly, `verdict of window ${i}`);
    });
  }
}

/** The frozen old path predates seasonality and model.level: the models compared are of the kind it knew. */
const asBefore = { level: 'absolute', seasonality: { periodMs: 'off' } } as const;

test('lean scoring: the undercomplete model gives the old path\'s scores, episodes, event ids and clean windows', async () => {
  const model = await fitModel({ ...asBefore, epochs: 4, seed: 3 }, training(400));
  try {
    await compare(model, 'ae');
  } finally {
    model.dispose();
  }
});

test('lean scoring: so does the variational model (its L samples reduced on the backend)', async () => {
  const model = await fitModel({ ...asBefore, type: 'variational', epochs: 4, seed: 3 }, training(400));
  try {
    await compare(model, 'vae');
  } finally {
    model.dispose();
  }
});
