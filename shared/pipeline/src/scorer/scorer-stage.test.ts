import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
import type { CleanWindowSink, ScoringModel } from './ports';
import { createScorerMetrics } from './scorer-metrics';
import { ScorerStage, type ScorerStageOptions } from './scorer-stage';
import { SeriesScoreGauges } from './series-gauges';

/** Episodes that open on the first anomalous window and close after three normal ones (not the shipped default), so each window's effect is visible. */
const OPEN_AT_ONCE = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 3 };
// A stand-in model for the stage's logic: a window is anomalous when its newest value exceeds 10.
const thresholdModel = (group: string, version = 'v1'): ScoringModel => ({
  group, version, threshold: 0.99, steps: 4,
  accepts: (w) => w.channels.length === 1,
  score: (windows) => windows.map((w) => {
    const v = w.values[w.values.length - 1]!;
    const anomalous = v > 10;
    return { rawError: v, score: anomalous ? 0.999 : 0.5, severity: anomalous ? 80 : 10, surprise: anomalous ? 3 : 0.3, anomalous, explanation: { topSteps: [], topChannels: [] } };
  }),
  dispose: () => undefined,
});

const windowOf = (series: string, i: number, value: number, group = 'g'): Window => ({
  formatVersion: 1, series, group, startMs: (i - 3) * 1000, endMs: i * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 1, 1, value), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: i * 1000,
});

function stage(overrides: Partial<ScorerStageOptions> = {}) {
  const registry = new Registry();
  const events = new InMemoryEventSink();
  const clean = new InMemoryCleanBuffer();
  const episodes = new InMemoryEpisodeStore();
  const models = new Map<string, ScoringModel>([['g', thresholdModel('g')]]);
  const options: ScorerStageOptions = {
    models: { modelFor: (g) => models.get(g) ?? null }, events, clean, episodes, policyFor: () => OPEN_AT_ONCE,
    warmupWindows: 5, cleanSampleRate: 1, maxTrackedSeries: 1000, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 2, hardCap: 3, trackedMax: 100 }),
    log: createLogger({ level: 'silent' }), now: () => 1e12, ...overrides,
  };
  return { stage: new ScorerStage(options), events, clean, episodes, registry, models };
}

const values = [1, 1, 50, 60, 1, 1, 1, 1];

test('anomalous windows open an episode that closes after M normal ones; only clean windows are buffered', async () => {
  const { stage: s, events, clean } = stage();
  await s.process(values.map((v, i) => windowOf('a', i, v)));
  assert.deepEqual(events.events.map((e) => [e.state, e.windowEnd]), [['open', new Date(2000).toISOString()], ['closed', new Date(6000).toISOString()]]);
  assert.equal(events.events[1]!.episodeId, events.events[0]!.id);
  // Windows 0,1 are clean; 2,3 anomalous; 4,5 inside the open episode; 6 closes it; 7 is clean again.
  assert.deepEqual((await clean.recent('g', 100)).map((w) => w.endMs), [0, 1000, 7000]);
});

test('a window above the threshold the way model.direction ignores opens nothing, and stays out of the clean buffer', async () => {
  // A stand-in for direction `up`: a value below -10 is above the threshold, but a drop, so no anomaly.
  const upOnly: ScoringModel = {
    ...thresholdModel('g'),
    score: (windows) => windows.map((w) => {
      const v = w.values[w.values.length - 1]!;
      return { rawError: Math.abs(v), score: 0.5, severity: 10, surprise: 0.3, anomalous: v > 10, aboveThreshold: Math.abs(v) > 10, explanation: { topSteps: [], topChannels: [] } };
    }),
  };
  const { stage: s, events, clean, models } = stage();
  models.set('g', upOnly);
  await s.process([1, -50, 1, 1].map((v, i) => windowOf('a', i, v)));
  assert.deepEqual(events.events, []);
  assert.deepEqual((await clean.recent('g', 100)).map((w) => w.endMs), [0, 2000, 3000]);
});

test('a replayed batch publishes nothing new, in the same stage and in a fresh one restored from checkpoints', async () => {
  const first = stage();
  const batch = values.slice(0, 4).map((v, i) => windowOf('a', i, v));
  await first.stage.process(batch);
  const published = first.events.events.length;
  await first.stage.process(batch);
  assert.equal(first.events.events.length, published);

  const second = stage({ episodes: first.episodes, events: first.events });
  await second.stage.process(batch);
  await second.stage.process(values.slice(4).map((v, i) => windowOf('a', i + 4, v)));
  assert.deepEqual(first.events.events.map((e) => e.state), ['open', 'closed'], 'the restored stage closes the same episode');
});

test('cold start: no model means no events, and the warm-up buffer rolls forward, keeping the newest windows', async () => {
  const { stage: s, events, clean, models } = stage();
  models.clear();
  const outcome = await s.process(values.map((v, i) => windowOf('a', i, v)));
  assert.equal(events.events.length, 0);
  assert.deepEqual((await clean.recent('g', 100)).map((w) => w.endMs), [3000, 4000, 5000, 6000, 7000], 'the newest warmupWindows (5) of 8');
  assert.deepEqual(outcome.coldStartGroups, ['g']);
  await s.process([windowOf('a', 20, 1), windowOf('a', 21, 1)]);
  // A refused first fit is retried on newer windows, not on the same ones for ever.
  assert.deepEqual((await clean.recent('g', 100)).map((w) => w.endMs), [5000, 6000, 7000, 20_000, 21_000]);
  assert.equal(await clean.totalAdded('g'), 10, 'every cold-start window counts as added');
});

test('when the clean buffer fails, events still flow and the drops are counted', async () => {
  const failing: CleanWindowSink = { append: async () => { throw new Error('redis down'); }, size: async () => 0 };
  const { stage: s, events, registry } = stage({ clean: failing });
  const outcome = await s.process(values.map((v, i) => windowOf('a', i, v)));
  assert.equal(events.events.length, 2);
  assert.equal(outcome.cleanDropped, 3);
  assert.match(await registry.metrics(), /hourglass_scorer_buffer_drops_total\{group="g"\} 3/);
});

test('the per-series gauge stays within its hard cap', async () => {
  const { stage: s, registry } = stage();
  await s.process(Array.from({ length: 20 }, (_, i) => windowOf(`s${i}`, 1, i)));
  const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('hourglass_series_anomaly_score{'));
  assert.equal(lines.length, 2, 'topK = 2 within hardCap = 3, no allowlist');
  assert.ok(lines.every((l) => l.endsWith(' 0.999')), 'the top scores are the ones kept');
});

/** An event sink that refuses the first `failures` publishes (a broker that is down), then accepts. */
class FlakySink extends InMemoryEventSink {
  attempts = 0;
  constructor(private failures: number) {
    super();
  }
  override async publish(events: Parameters<InMemoryEventSink['publish']>[0]): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('broker unavailable');
    }
    await super.publish(events);
  }
}

test('a failed publish leaves the episode state where the batch began: the retry publishes the same events, once', async () => {
  const batches = [values.slice(0, 2), values.slice(2, 5), values.slice(5)].map((part, b) => part.map((v, i) => windowOf('a', [0, 2, 5][b]! + i, v)));
  const reference = stage();
  for (const batch of batches) await reference.stage.process(batch);

  const flaky = new FlakySink(2);
  const { stage: s, episodes, registry } = stage({ events: flaky });
  await s.process(batches[0]!);
  // The batch that opens the episode fails twice (as the scorer's consumer would see a broker
  // restart), is redelivered unchanged each time, and then goes through.
  await assert.rejects(s.process(batches[1]!), /broker unavailable/);
  assert.equal(episodes.states.get('g\u0000a')?.episodeId ?? null, null, 'no checkpoint of a state whose event was not published');
  await assert.rejects(s.process(batches[1]!), /broker unavailable/);
  await s.process(batches[1]!);
  await s.process(batches[2]!);

  assert.deepEqual(flaky.events, reference.events.events, 'same events, same ids, none missing and none twice');
  assert.deepEqual(flaky.events.map((e) => e.state), ['open', 'closed']);
  const metrics = await registry.metrics();
  assert.match(metrics, /hourglass_scorer_episodes_total\{group="g",state="open",band="\d+"\} 1\n/, 'the open is counted once');
  assert.match(metrics, /hourglass_scorer_open_episodes\{group="g"\} 0\n/);
});

test('a model with scoreColumns: one explain call per batch, for exactly the rows that emit, and the same events as score()', async () => {
  const calls: number[][] = [];
  const base = thresholdModel('g');
  const columnar: ScoringModel = {
    ...base,
    scoreColumns: (windows) => {
      const scores = base.score(windows);
      return {
        n: scores.length, score: scores.map((s) => s.score), severity: scores.map((s) => s.severity), surprise: scores.map((s) => s.surprise),
        anomalous: scores.map((s) => (s.anomalous ? 1 : 0)), aboveThreshold: scores.map((s) => (s.anomalous ? 1 : 0)),
        explain: (rows) => (calls.push([...rows]), rows.map((row) => ({ topSteps: [{ step: row, ts: windows[row]!.endMs, share: 1 }], topChannels: [] }))),
      };
    },
  };
  // Two series by turns (not sorted by series: the stage sorts), then the same windows already in order.
  const batch = values.flatMap((v, i) => [windowOf('a', i, v), windowOf('b', i, i === 5 ? 70 : 1)]);
  const sorted = [...batch].sort((x, y) => (x.series < y.series ? -1 : x.series > y.series ? 1 : x.endMs - y.endMs));
  for (const input of [batch, sorted]) {
    calls.length = 0;
    const plain = stage();
    const lean = stage();
    lean.models.set('g', columnar);
    await plain.stage.process(input);
    await lean.stage.process(input);
    const brief = (es: typeof plain.events.events) => es.map((e) => [e.id, e.state, e.series, e.windowEnd, e.score, e.severity]);
    assert.deepEqual(brief(lean.events.events), brief(plain.events.events));
    assert.deepEqual(brief(lean.events.events).map((e) => e.slice(1, 4)), [
      ['open', 'a', new Date(2000).toISOString()], ['closed', 'a', new Date(6000).toISOString()], ['open', 'b', new Date(5000).toISOString()],
    ]);
    // Rows of the sorted batch: a's windows 0-7, then b's 8-15. Each event carries its own row's explanation.
    assert.deepEqual(calls, [[2, 6, 13]]);
    assert.deepEqual(lean.events.events.map((e) => e.explanation.topSteps[0]!.step), [2, 6, 13]);
    assert.deepEqual((await lean.clean.recent('g', 100)).map((w) => `${w.series}@${w.endMs}`), (await plain.clean.recent('g', 100)).map((w) => `${w.series}@${w.endMs}`));
  }
});
