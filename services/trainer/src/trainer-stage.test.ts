import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { seededRng, type Window } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { InMemoryLocks, InMemoryModelStore } from './in-memory';
import type { CleanWindowSource } from './ports';
import { createTrainerMetrics } from './trainer-metrics';
import { REFIT_DEFAULTS, TrainerStage } from './trainer-stage';

const W = 16;
function sineWindows(count: number, level = 0, seed = 1): Window[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const values = Float32Array.from({ length: W }, (_, t) => level + Math.sin((2 * Math.PI * (i + t)) / 24) + 0.05 * rng.normal());
    return { formatVersion: 1, series: 's', group: 'g', startMs: i * 1000, endMs: (i + W - 1) * 1000, intervalMs: 1000, channels: ['value'], values, mask: new Uint8Array(W).fill(1), ingestedAtMs: 0 };
  });
}

const source = (windows: Window[]): CleanWindowSource => ({ recent: async (_g, n) => windows.slice(-n), size: async () => windows.length });
const config = { layers: [12], latentSize: 4, epochs: 40, batchSize: 32, seed: 3 };
const policy = { ...REFIT_DEFAULTS, minWindows: 100 };

function stageWith(windows: Window[], store = new InMemoryModelStore(), locks = new InMemoryLocks()) {
  return { stage: new TrainerStage({ source: source(windows), store, locks, metrics: createTrainerMetrics(new Registry()), log: createLogger({ level: 'silent' }) }), store, locks };
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
  const windows = sineWindows(600);
  const { stage, store } = stageWith(windows);
  assert.equal((await stage.refit('g', config, policy)).status, 'promoted');
  const poisoned = [...windows.slice(0, 300), ...sineWindows(300, 5, 2)];
  const { stage: second } = stageWith(poisoned, store);
  const outcome = await second.refit('g', config, policy);
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
