import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { compileConfig, seededRng, type Window } from '@hourglass/core';
import { loadModel } from '@hourglass/model';
import { createLogger } from '@hourglass/runtime';
import { InMemoryLocks, InMemoryModelStore } from './in-memory';
import type { CleanWindowSource } from './ports';
import { createTrainerMetrics } from './trainer-metrics';
import { TrainerStage } from './trainer-stage';
import { refitPolicy } from './refit-policy';

const W = 16;
function sineWindows(count: number, level = 0, seed = 1): Window[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const values = Float32Array.from({ length: W }, (_, t) => level + Math.sin((2 * Math.PI * (i + t)) / 24) + 0.05 * rng.normal());
    return { formatVersion: 1, series: 's', group: 'g', startMs: i * 1000, endMs: (i + W - 1) * 1000, intervalMs: 1000, channels: ['value'], values, mask: new Uint8Array(W).fill(1), ingestedAtMs: 0 };
  });
}

/** Windows of a multivariate series (channels cpu and mem, time-major), as the demo's host-1. */
function hostWindows(count: number, seed = 9): Window[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const values = Float32Array.from({ length: 2 * W }, (_, k) => Math.sin((2 * Math.PI * (i + (k >> 1))) / 24) * (k % 2 ? 2 : 1) + 0.05 * rng.normal());
    return { formatVersion: 1, series: 'host', group: 'g', startMs: i * 1000, endMs: (i + W - 1) * 1000, intervalMs: 1000, channels: ['cpu', 'mem'], values, mask: new Uint8Array(2 * W).fill(1), ingestedAtMs: 0 };
  });
}

/** Interleaves two lists as a buffer fed by two series would be. */
function interleave(a: Window[], b: Window[]): Window[] {
  const out: Window[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...(a[i] ? [a[i]!] : []), ...(b[i] ? [b[i]!] : []));
  return out;
}

const source = (windows: Window[]): CleanWindowSource => ({ recent: async (_g, n) => windows.slice(-n), size: async () => windows.length });
const config = { layers: [12], latentSize: 4, epochs: 40, batchSize: 32, seed: 3 };
const policy = refitPolicy(compileConfig({ trainer: { minWindows: 100 } }));

function stageWith(windows: Window[], store = new InMemoryModelStore(), locks = new InMemoryLocks()) {
  const registry = new Registry();
  return { stage: new TrainerStage({ source: source(windows), store, locks, metrics: createTrainerMetrics(registry), log: createLogger({ level: 'silent' }) }), store, locks, registry };
}

test('the first fit from a warmed buffer is promoted; a deliberately worse candidate is rejected by the gate', async () => {
  const { stage, store } = stageWith(sineWindows(600));
  const first = await stage.refit('g', config, policy);
  assert.equal(first.status, 'promoted', JSON.stringify(first));
  assert.equal(store.current.get('g'), 'v1');
  const worse = await stage.refit('g', { ...config, epochs: 1, learningRate: 1e-5, latentSize: 1 }, policy);
  assert.equal(worse.status, 'rejected', JSON.stringify(worse));
  assert.match(worse.reason, /worse than the current model|false-alarm/);
  assert.equal(store.current.get('g'), 'v1', 'the current model stays');
  assert.equal(store.decisions.at(-1)?.promoted, false);
});

test('a buffer that the current model mostly flags is refused as contaminated', async () => {
  // An absolute model (model.level) flags windows at a new level; a relative one would take them as normal.
  const absolute = { ...config, level: 'absolute' } as const;
  const windows = sineWindows(600);
  const { stage, store } = stageWith(windows);
  assert.equal((await stage.refit('g', absolute, policy)).status, 'promoted');
  const poisoned = [...windows.slice(0, 300), ...sineWindows(300, 5, 2)];
  const { stage: second } = stageWith(poisoned, store);
  const outcome = await second.refit('g', absolute, policy);
  assert.equal(outcome.status, 'rejected');
  assert.match(outcome.reason, /contaminated/);
});

test('too few windows, or a group locked by another trainer, skip the fit', async () => {
  assert.equal((await stageWith(sineWindows(50)).stage.refit('g', config, policy)).status, 'skipped');
  const locks = new InMemoryLocks();
  await locks.tryLock('g', 60_000);
  const outcome = await stageWith(sineWindows(600), undefined, locks).stage.refit('g', config, policy);
  assert.deepEqual(outcome, { status: 'skipped', reason: 'another trainer holds this group' });
});

test('series with another channel set in the group do not block the fit: the main set trains, the rest is left out and counted', async () => {
  const { stage, store, registry } = stageWith(interleave(sineWindows(600), hostWindows(300)));
  const outcome = await stage.refit('g', config, policy);
  assert.equal(outcome.status, 'promoted', JSON.stringify(outcome));
  const model = await loadModel((await store.loadCurrent('g'))!.artifact);
  assert.deepEqual(model.manifest.shape.channels, ['value']);
  model.dispose();
  const gauge = (await registry.getSingleMetric('hourglass_trainer_left_out_windows')!.get()).values;
  assert.deepEqual(gauge.map((v) => [v.labels.group, v.value]), [['g', 300]]);
  const report = store.versions.get('g/v1')!.report as { leftOut: { channels: string[]; windows: number; series: string[] }[] };
  assert.deepEqual(report.leftOut, [{ channels: ['cpu', 'mem'], windows: 300, series: ['host'] }]);
  assert.equal(store.decisions.at(-1)?.outcome, 'promoted');
});

test('with a current model, its channel set stays the group\'s, even when other windows outnumber it; too few of it skip, with the reason recorded', async () => {
  const { stage, store } = stageWith(sineWindows(600));
  assert.equal((await stage.refit('g', config, policy)).status, 'promoted');
  const { stage: second } = stageWith(interleave(sineWindows(60, 0, 4), hostWindows(900)), store);
  const outcome = await second.refit('g', config, policy);
  assert.equal(outcome.status, 'skipped');
  assert.match(outcome.reason, /only 60 clean windows with channels \[value\] \(need 100\); left out 900 of host with \[cpu, mem\]/);
  assert.deepEqual({ ...store.decisions.at(-1), at: undefined }, { group: 'g', at: undefined, outcome: 'skipped', promoted: false, reason: outcome.reason, candidate: {}, current: null, version: null });
  assert.equal(store.current.get('g'), 'v1');
});

test('a fit that throws is recorded in the decision log with the error, and rethrown', async () => {
  const windows = sineWindows(600);
  windows[3] = { ...windows[3]!, values: windows[3]!.values.map((v, k) => (k === 2 ? Number.NaN : v)) };
  const { stage, store } = stageWith(windows);
  await assert.rejects(stage.refit('g', config, policy), /non-finite observed value/);
  assert.equal(store.decisions.at(-1)?.outcome, 'failed');
  assert.match(store.decisions.at(-1)!.reason, /^fit failed: window \d+ \(series s\) has a non-finite observed value/);
});

test('a current first model its stored report says was taken over budget is replaced without the error comparison; any other is not', async () => {
  // A tolerance below 0 makes every candidate "worse" than the current model on error.
  const strict = { ...policy, gate: { ...policy.gate, errorTolerance: -1 } };
  for (const [code, expected] of [['first_model_over_budget', 'promoted'], ['first_model', 'rejected']] as const) {
    const { stage, store } = stageWith(sineWindows(400));
    assert.equal((await stage.refit('g', config, policy)).status, 'promoted');
    const entry = store.versions.get('g/v1')!;
    store.versions.set('g/v1', { ...entry, report: { ...(entry.report as object), code, gate: { candidate: { meanError: 1, falseAlarmRate: 0.5 }, current: null } } });
    const outcome = await stage.refit('g', config, strict);
    assert.equal(outcome.status, expected, `${code}: ${outcome.reason}`);
  }
});
