import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { compileConfig, seededRng, type Window } from '@hourglass/core';
import { loadModel, type AnomalyModel } from '@hourglass/model';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCodeStore } from '../codes/in-memory';
import { InMemoryLocks, InMemoryModelStore } from '../trainer/in-memory';
import { createTrainerMetrics } from '../trainer/trainer-metrics';
import { TrainerStage } from '../trainer/trainer-stage';
import { refitPolicy } from '../trainer/refit-policy';
import { InMemoryFeedbackStore, InMemoryHeldBack } from './in-memory';
import { FeedbackRecorder } from './recorder';

const W = 16;
/** A noisy sine window per index; `kind` replaces part of it: a flat plateau (steps 8 on at 1.5) or a spike at the newest step. */
function windows(series: string, from: number, count: number, kind: 'normal' | 'plateau' | 'spike' = 'normal', seed = 1): Window[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const values = Float32Array.from({ length: W }, (_, t) => Math.sin((2 * Math.PI * (i + t)) / 24) + 0.05 * rng.normal());
    if (kind === 'plateau') for (let t = 8; t < W; t += 1) values[t] = 1.5 + 0.05 * rng.normal();
    if (kind === 'spike') values[W - 1] = values[W - 1]! + 6;
    return { formatVersion: 1, series, group: 'g', startMs: i * 1000, endMs: (i + W - 1) * 1000, intervalMs: 1000, channels: ['value'], values, mask: new Uint8Array(W).fill(1), ingestedAtMs: 0 };
  });
}

const modelConfig = { layers: [12], latentSize: 4, epochs: 40, batchSize: 32, seed: 3 };
const policy = refitPolicy(compileConfig({ trainer: { minWindows: 100 } }));
const flaggedShare = (model: AnomalyModel, ws: readonly Window[]) => model.score(ws).filter((s) => s.anomalous).length / ws.length;

/** A trainer over a fixed clean buffer, with verdicts from `feedback`, and a recorder over held-back windows. */
function setup() {
  const clean = windows('train', 0, 600);
  const store = new InMemoryModelStore();
  const feedback = new InMemoryFeedbackStore();
  const heldBack = new InMemoryHeldBack();
  const stage = new TrainerStage({
    source: { recent: async (_g, n) => clean.slice(-n), size: async () => clean.length }, store, locks: new InMemoryLocks(),
    metrics: createTrainerMetrics(new Registry()), log: createLogger({ level: 'silent' }),
    feedback: { reader: feedback, falsePositiveWeight: 10, openAfterWindows: () => 2 },
  });
  const recorder = new FeedbackRecorder({ groups: ['g'], store: feedback, heldBack, codes: new InMemoryCodeStore(), maxWindowsPerEpisode: 256, now: () => Date.UTC(2026, 11, 1) });
  const current = async () => loadModel(store.versions.get(`g/${store.current.get('g')!}`)!.artifact);
  return { stage, store, feedback, heldBack, recorder, current };
}

test('a false positive is learned by the next refit (the pattern stops being flagged) while a confirmed anomaly stays flagged', async (t) => {
  const { stage, store, heldBack, recorder, current } = setup();
  assert.equal((await stage.refit('g', modelConfig, policy)).status, 'promoted');
  const first = await current();
  // The scorer held these back: a plateau on series a (one episode), a spike on b (another).
  const plateau = windows('a', 1000, 30, 'plateau', 2);
  const spike = windows('b', 2000, 3, 'spike', 3);
  assert.ok(flaggedShare(first, plateau) > 0.9, `the first model flags the plateau (${flaggedShare(first, plateau)})`);
  assert.ok(flaggedShare(first, spike) === 1, 'and the spike');
  await heldBack.append('g', [
    { window: plateau[0]!, episodeId: null }, // the anomalous window before the K-th opened the episode
    ...plateau.slice(1).map((window) => ({ window, episodeId: 'EA' })),
    ...spike.map((window) => ({ window, episodeId: 'EB' })),
  ]);
  const fp = await recorder.record({ event: 'EA', verdict: 'false-positive', note: 'a planned load test' }, 'cli', 'oncall');
  assert.deepEqual({ ...fp.feedback }, { v: 1, episodeId: 'EA', eventId: 'EA', group: 'g', series: 'a', verdict: 'false-positive', note: 'a planned load test', by: 'oncall', at: '2026-12-01T00:00:00.000Z', source: 'cli', windows: 30 });
  assert.equal((await recorder.record({ event: 'EB', verdict: 'confirmed', by: 'sre' }, 'topic', 'unknown')).feedback.windows, 3);
  await assert.rejects(recorder.record({ event: 'nope', verdict: 'confirmed' }, 'cli', 'x'), /no episode 'nope'/);

  const refit = await stage.refit('g', modelConfig, policy);
  assert.equal(refit.status, 'promoted', JSON.stringify(refit));
  const second = await current();
  // The same pattern, at other phases of the cycle: no longer flagged; the spike still is.
  const again = windows('a', 3013, 30, 'plateau', 4);
  const normal = windows('n', 5000, 200, 'normal', 6);
  t.diagnostic(`flagged by the first model / the refit: plateau ${flaggedShare(first, again)} / ${flaggedShare(second, again)}, normal ${flaggedShare(first, normal)} / ${flaggedShare(second, normal)}`);
  assert.ok(flaggedShare(second, again) < 0.1, `the refitted model no longer flags the plateau (${flaggedShare(second, again)}, first model ${flaggedShare(first, again)})`);
  assert.equal(flaggedShare(second, windows('b', 4007, 5, 'spike', 5)), 1, 'the refitted model still flags the spike');
  assert.ok(flaggedShare(second, normal) < 0.05, 'and not normal windows');
  const report = store.versions.get(`g/${refit.status === 'promoted' ? refit.version : ''}`)!.report as { feedback: { falsePositives: { episodeId: string; windows: number }[]; confirmed: { episodeId: string; check: { kept: boolean } }[] } };
  assert.deepEqual(report.feedback.falsePositives.map((f) => [f.episodeId, f.windows]), [['EA', 30]]);
  assert.deepEqual(report.feedback.confirmed.map((c) => [c.episodeId, c.check.kept]), [['EB', true]]);
  first.dispose();
  second.dispose();
});

test('the gate refuses a candidate that no longer flags a confirmed anomaly', async () => {
  const { stage, store, heldBack, recorder } = setup();
  assert.equal((await stage.refit('g', modelConfig, policy)).status, 'promoted');
  // Two episodes of one pattern, judged both ways: learning the false positive forgets the confirmed one.
  await heldBack.append('g', [
    ...windows('a', 1000, 30, 'plateau', 2).map((window) => ({ window, episodeId: 'FP' })),
    ...windows('c', 1500, 30, 'plateau', 7).map((window) => ({ window, episodeId: 'OK' })),
  ]);
  await recorder.record({ event: 'FP', verdict: 'false-positive' }, 'cli', 'oncall');
  await recorder.record({ event: 'OK', verdict: 'confirmed' }, 'cli', 'oncall');
  const refit = await stage.refit('g', modelConfig, policy);
  assert.equal(refit.status, 'rejected', JSON.stringify(refit));
  assert.match(refit.reason, /no longer flags 1 confirmed anomaly: OK on c/);
  assert.equal(store.current.get('g'), 'v1', 'the current model stays');
  assert.equal(store.decisions.at(-1)?.outcome, 'rejected');
});
