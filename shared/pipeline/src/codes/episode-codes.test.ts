import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, compileConfig, decodeWindow, type EpisodeCode, type HashIndexOptions, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from '../scorer/in-memory';
import type { EventSink, ScoringModel } from '../scorer/ports';
import { createScorerMetrics } from '../scorer/scorer-metrics';
import { ScorerStage } from '../scorer/scorer-stage';
import { SeriesScoreGauges } from '../scorer/series-gauges';
import { createCodesMetrics } from './codes-metrics';
import { EpisodeCodes } from './episode-codes';
import { InMemoryCodeStore } from './in-memory';
import type { CodeStore } from './ports';

const log = createLogger({ level: 'silent' });
// Every anomalous window emits: a new severity band or the 0 ms interval makes every window of an episode an update.
const POLICY = { ...EPISODE_DEFAULTS, openAfterWindows: 1, closeAfterWindows: 2, ongoingIntervalMs: 0 };

/** A stand-in model: anomalous when the newest value exceeds 10, severity = that value (capped at 100); its code is the window's last two values. */
function model(encoded: Window[][]): ScoringModel {
  return {
    group: 'g', version: 'v1', threshold: 0.99, steps: 4, accepts: () => true,
    score: (windows) => windows.map((w) => {
      const v = w.values[3]!;
      const anomalous = v > 10;
      return { rawError: v, score: anomalous ? 0.999 : 0.5, severity: anomalous ? Math.min(100, v) : 5, surprise: 0, anomalous, explanation: { topSteps: [], topChannels: [] } };
    }),
    encode: (windows) => {
      encoded.push([...windows]);
      return windows.map((w) => Float32Array.of(w.values[2]!, w.values[3]!));
    },
    codeCenter: [0, 0],
    dispose: () => undefined,
  };
}

const windowOf = (series: string, i: number, value: number): Window => ({
  formatVersion: 1, series, group: 'g', startMs: (i - 3) * 1000, endMs: i * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 1, i, value), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

function setup(options: { store?: CodeStore; events?: EventSink; maxCodesPerGroup?: number; episodes?: InMemoryEpisodeStore; index?: HashIndexOptions } = {}) {
  const registry = new Registry();
  const store = options.store ?? new InMemoryCodeStore();
  const encoded: Window[][] = [];
  const similar = { ...compileConfig({}).similar, ...(options.maxCodesPerGroup ? { maxCodesPerGroup: options.maxCodesPerGroup } : {}) };
  const codes = new EpisodeCodes({ config: similar, store, metrics: createCodesMetrics(registry), log, index: options.index });
  const m = model(encoded);
  const events = options.events ?? new InMemoryEventSink();
  const stage = new ScorerStage({
    models: { modelFor: () => m }, events, clean: new InMemoryCleanBuffer(), episodes: options.episodes ?? new InMemoryEpisodeStore(), policyFor: () => POLICY,
    warmupWindows: 5, cleanSampleRate: 1, maxTrackedSeries: 1000, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 2, hardCap: 3, trackedMax: 100 }), codes, log, now: () => 1e12,
  });
  return { stage, codes, store, encoded, registry };
}

async function stored(store: CodeStore): Promise<EpisodeCode[]> {
  const latest = new Map<string, EpisodeCode>();
  for (const r of (await store.read('g', null)).records) latest.set(r.episodeId, r);
  return [...latest.values()];
}

test('each episode stores the code of its peak window, with a seeded hash; codes are computed only for windows that emit', async () => {
  const { stage, store, encoded } = setup();
  // Series a: an episode that rises to 70 at window 4, then falls; series b stays normal.
  const values = [1, 1, 30, 50, 70, 40, 1, 1, 1];
  const windows = values.flatMap((v, i) => [windowOf('a', i, v), windowOf('b', i, 1)]);
  await stage.process(windows);
  const [record, ...others] = await stored(store);
  assert.equal(others.length, 0, 'one record per episode');
  assert.equal(record!.series, 'a');
  assert.equal(record!.at, new Date(4000).toISOString(), 'the peak window');
  assert.equal(record!.openedAt, new Date(2000).toISOString());
  assert.deepEqual([record!.severity, record!.code, record!.verdict], [70, [4, 70], null]);
  assert.match(record!.hash, /^[0-9a-f]{16}$/);
  assert.equal(record!.hashVersion, 'srp-64-s1');
  assert.equal(decodeWindow(Buffer.from(record!.window, 'base64')).endMs, 4000, 'the peak window itself is kept, to be re-encoded by a new model');
  // Encoded: the open (30), and the updates that raised the peak (50, 70); never the 40 update, a closed or a normal window.
  assert.deepEqual(encoded.flat().map((w) => w.values[3]), [30, 50, 70]);
});

test('a failed publish stores nothing; the redelivered batch stores the same record', async () => {
  let fail = true;
  const sink = new InMemoryEventSink();
  const { stage, store } = setup({ events: { publish: async (events) => (fail ? Promise.reject(new Error('broker down')) : sink.publish(events)) } });
  const batch = [1, 60, 1, 1].map((v, i) => windowOf('a', i, v));
  await assert.rejects(stage.process(batch));
  assert.equal((await stored(store)).length, 0);
  fail = false;
  await stage.process(batch);
  assert.deepEqual((await stored(store)).map((r) => [r.at, r.severity]), [[new Date(1000).toISOString(), 60]]);
});

test('a scorer that restarts knows the stored peaks: a lower update of a continuing episode does not replace its peak', async () => {
  const store = new InMemoryCodeStore();
  const episodes = new InMemoryEpisodeStore();
  const first = setup({ store, episodes });
  await first.stage.process([1, 80, 70].map((v, i) => windowOf('a', i, v)));
  // A replacement scorer continues the episode (its checkpoint) and reads the stored codes.
  const second = setup({ store, episodes });
  await second.stage.process([75, 60].map((v, i) => windowOf('a', 3 + i, v)));
  assert.equal(second.encoded.length, 0, 'updates below the stored peak compute no code');
  assert.deepEqual((await stored(store)).map((r) => [r.severity, r.at]), [[80, new Date(1000).toISOString()]]);
  await second.stage.process([95].map((v) => windowOf('a', 5, v)));
  const [record] = await stored(store);
  assert.deepEqual([record!.severity, record!.at, record!.openedAt], [95, new Date(5000).toISOString(), new Date(1000).toISOString()]);
  assert.equal(second.codes.record('g', record!.episodeId)?.severity, 95);
});

test('codes are capped per group: the oldest episodes go first', async () => {
  const { stage, codes, store } = setup({ maxCodesPerGroup: 2, store: new InMemoryCodeStore(2) });
  for (const series of ['a', 'b', 'c']) await stage.process([1, 50, 1, 1].map((v, i) => windowOf(series, i, v)));
  assert.deepEqual((await stored(store)).map((r) => r.series), ['b', 'c']);
  assert.equal(codes.record('g', (await stored(store))[0]!.episodeId)?.series, 'b');
});

test('through the multi-index, a code the cap evicted is never found, and every open event lists what the scan lists', async () => {
  const lists = async (index: HashIndexOptions) => {
    const sink = new InMemoryEventSink();
    const { stage } = setup({ maxCodesPerGroup: 2, store: new InMemoryCodeStore(2), events: sink, index });
    // Four episodes, one at a time; the cap keeps two codes, so a (50) is gone when d (51), its nearest, opens.
    for (const [i, [series, peak]] of ([['a', 50], ['b', 52], ['c', 90], ['d', 51]] as const).entries()) {
      await stage.process([1, peak, 1, 1].map((v, j) => windowOf(series, 10 * i + j, v)));
    }
    return sink.events.filter((e) => e.state === 'open').map((e) => [e.series, (e.similar ?? []).map((s) => s.series)]);
  };
  const multi = await lists({ multiIndexFrom: 0, probeBudget: Infinity });
  assert.deepEqual(multi, [['a', []], ['b', ['a']], ['c', ['b', 'a']], ['d', ['b', 'c']]]);
  assert.deepEqual(await lists({ multiIndexFrom: Infinity }), multi);
});

test('an open event carries the nearest earlier episodes (never itself, never later ones), and the stored record keeps them', async () => {
  const { stage, store } = setup();
  // Three episodes on three series: values 50, 52 (near each other's code) and 90 (far).
  await stage.process([1, 50, 1, 1].map((v, i) => windowOf('a', i, v)));
  await stage.process([1, 90, 1, 1].map((v, i) => windowOf('b', 10 + i, v)));
  const sink = new InMemoryEventSink();
  const later = setup({ store, events: sink });
  await later.stage.process([1, 52, 1, 1].map((v, i) => windowOf('c', 20 + i, v)));
  const open = sink.events.find((e) => e.state === 'open')!;
  assert.deepEqual(open.similar!.map((s) => s.series), ['a', 'b'], 'nearest first');
  assert.ok(open.similar![0]!.distance < open.similar![1]!.distance);
  assert.equal(open.similar![0]!.verdict, null);
  assert.ok(open.similar!.every((s) => s.hamming >= 0 && s.hamming <= 64));
  const record = (await stored(store)).find((r) => r.series === 'c')!;
  assert.deepEqual(record.similar!.map((s) => s.episodeId), open.similar!.map((s) => s.episodeId));
  // Closed and ongoing events carry no list; the first episode had nothing earlier.
  assert.ok(sink.events.filter((e) => e.state !== 'open').every((e) => e.similar === undefined));
  assert.deepEqual((await stored(store)).find((r) => r.series === 'a')!.similar, []);
});

test('a new model version re-encodes the stored peak windows once, so every lookup compares codes of one version', async () => {
  const store = new InMemoryCodeStore();
  const first = setup({ store });
  await first.stage.process([1, 50, 1, 1].map((v, i) => windowOf('a', i, v)));
  // Version v2 encodes differently: its code of a window is the negated one.
  const encoded: Window[][] = [];
  const v2: ScoringModel = { ...model(encoded), version: 'v2', encode: (windows) => { encoded.push([...windows]); return windows.map((w) => Float32Array.of(-w.values[2]!, -w.values[3]!)); } };
  const registry = new Registry();
  const codes = new EpisodeCodes({ config: compileConfig({}).similar, store, metrics: createCodesMetrics(registry), log });
  const sink = new InMemoryEventSink();
  const stage = new ScorerStage({
    models: { modelFor: () => v2 }, events: sink, clean: new InMemoryCleanBuffer(), episodes: new InMemoryEpisodeStore(), policyFor: () => POLICY,
    warmupWindows: 5, cleanSampleRate: 1, maxTrackedSeries: 1000, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 2, hardCap: 3, trackedMax: 100 }), codes, log, now: () => 1e12,
  });
  await stage.process([1, 50, 1, 1].map((v, i) => windowOf('b', 10 + i, v)));
  // One pass for b's open, one that re-encoded a's stored window (its end 1000).
  assert.deepEqual(encoded.map((batch) => batch.map((w) => w.endMs)).sort(), [[1000], [11000]]);
  const open = sink.events.find((e) => e.state === 'open')!;
  // Both codes are the same under v2 but for the step index: (−1, −50) vs (−11, −50).
  assert.equal(open.similar![0]!.series, 'a');
  assert.equal(open.similar![0]!.distance, 10);
  assert.match(await registry.metrics(), /hourglass_scorer_codes_reencoded_total\{group="g"\} 1/);
  const record = (await stored(store)).find((r) => r.series === 'b')!;
  assert.equal(record.modelVersion, 'v2');
});

test('an episode that opened earlier in the same batch is an earlier episode too', async () => {
  const sink = new InMemoryEventSink();
  const { stage } = setup({ events: sink });
  // Two series in one batch: a's episode opens at window 1, b's at window 3.
  await stage.process([...[1, 50, 1, 1, 1].map((v, i) => windowOf('a', i, v)), ...[1, 1, 1, 52, 1].map((v, i) => windowOf('b', i, v))]);
  const opens = sink.events.filter((e) => e.state === 'open');
  assert.deepEqual(opens.map((e) => [e.series, e.similar!.map((s) => s.series)]), [['a', []], ['b', ['a']]]);
});
