import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ColdStartStatus, type ColdStartFacts, type TrainerDecision } from './cold-start-status';
import { createScorerMetrics } from '@hourglass/pipeline';

/** Facts a test sets by hand, as Redis would hold them. */
function facts(): ColdStartFacts & { size: number; oldest: number | null; version: string | null; decision: TrainerDecision | null; fail?: Error } {
  const f = {
    size: 0, oldest: null as number | null, version: null as string | null, decision: null as TrainerDecision | null, fail: undefined as Error | undefined,
    bufferSize: async () => (f.fail ? Promise.reject(f.fail) : f.size),
    oldestBufferedMs: async () => f.oldest,
    currentVersion: async () => f.version,
    lastDecision: async () => f.decision,
  };
  return f;
}

function setup(cold: string[] = ['web']) {
  const f = facts();
  const registry = new Registry();
  const metrics = createScorerMetrics(registry);
  let now = 10_000_000;
  const status = new ColdStartStatus({ facts: f, coldGroups: () => cold, minWindows: 500, trainerCheckIntervalMs: 10_000, warmupWindows: 2000, metrics, now: () => now });
  const gauge = async () => (await registry.getSingleMetric('hourglass_scorer_cold_start_seconds')!.get()).values.map((v) => [v.labels.group, v.labels.reason, v.value]);
  return { f, status, gauge, cold, advance: (ms: number) => (now += ms) };
}

test('too few clean windows: /readyz says how many of how many, and the gauge counts from the oldest buffered window', async () => {
  const { f, status, gauge } = setup();
  assert.equal(status.describe().web!.reason, 'checking');
  f.size = 120;
  f.oldest = 10_000_000 - 600_000;
  await status.refresh();
  assert.deepEqual(status.describe(), { web: { reason: 'too_few_windows', why: 'no fit yet: 120 clean windows buffered, the trainer fits from 500 (trainer.minWindows)', forSeconds: 600 } });
  assert.deepEqual(await gauge(), [['web', 'too_few_windows', 600]]);
});

test('enough windows but no decision: waiting for a trainer; a refused fit names its reason, and the gauge moves to the new reason', async () => {
  const { f, status, gauge, advance } = setup();
  f.size = 800;
  await status.refresh();
  assert.match(status.describe().web!.why, /^no fit yet: 800 clean windows buffered, enough for a first fit; is a trainer running\? \(it checks every 10s\)$/);
  advance(30_000);
  f.decision = { at: '2026-01-01T00:00:00.000Z', outcome: 'rejected', promoted: false, reason: 'false-alarm rate 12.0% on held-out clean windows exceeds 10.0%' };
  await status.refresh();
  assert.equal(status.describe().web!.why, 'last fit refused (2026-01-01T00:00:00.000Z): false-alarm rate 12.0% on held-out clean windows exceeds 10.0%; 800 clean windows buffered');
  assert.deepEqual(await gauge(), [['web', 'fit_rejected', 30]], 'no stale series under the old reason');
  f.decision = { ...f.decision, outcome: 'failed', reason: 'fit failed: window 3 (series host-1) has a non-finite observed value' };
  await status.refresh();
  assert.equal(status.describe().web!.reason, 'fit_failed');
});

test('a model in the registry that this scorer has not loaded, a warm-up too small for the trainer, and Redis unreachable are each named', async () => {
  const { f, status } = setup();
  f.size = 2000;
  const small = new ColdStartStatus({ facts: f, coldGroups: () => ['web'], minWindows: 5000, trainerCheckIntervalMs: 10_000, warmupWindows: 2000, metrics: createScorerMetrics(new Registry()) });
  await small.refresh();
  assert.equal(small.describe().web!.reason, 'warmup_below_min_windows');
  f.version = 'v3';
  await status.refresh();
  assert.match(status.describe().web!.why, /current version is v3, but this scorer has not loaded it/);
  f.fail = new Error('Connection is closed.');
  await status.refresh();
  assert.deepEqual([status.describe().web!.reason, status.describe().web!.why], ['registry_unreachable', 'cannot read the registry or the clean buffer: Connection is closed.']);
});

test('a group that got its model leaves /readyz and the gauge', async () => {
  const { f, status, gauge, cold } = setup();
  f.size = 10;
  await status.refresh();
  cold.length = 0;
  await status.refresh();
  assert.deepEqual(status.describe(), {});
  assert.deepEqual(await gauge(), []);
});
