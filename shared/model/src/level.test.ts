import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Window } from '@hourglass/core';
import { fitModel } from './index';
import { sineWindows } from './testing/signals';

/**
 * model.level: an `absolute` model flags a window whose level is beyond what it learnt, shape and
 * all normal; a `relative` model judges only the shape, so it takes the same window as normal,
 * and still flags a step and a spike inside a window. Expected values add the window's level back.
 */
const W = 32;

const raised = (windows: readonly Window[], by: number): Window[] => windows.map((w) => ({ ...w, values: w.values.map((v) => v + by) }));

const flaggedIn = (model: Awaited<ReturnType<typeof fitModel>>, windows: Window[]): number => model.scoreBatch(windows).anomalous.reduce((a, v) => a + v, 0);

test('a window at a level it never learnt is an anomaly to an absolute model and normal to a relative one; steps and spikes are anomalies to both', async () => {
  const train = sineWindows(400, W, 1, 21);
  const probe = sineWindows(12, W, 1, 22);
  const drifted = raised(probe, 3);
  const steps = sineWindows(12, W, 1, 23, 'levelShift').map((w) => ({ ...w, values: w.values.map((v, k) => (k >= W / 2 ? v + 2 : v)) }));
  const spikes = sineWindows(12, W, 1, 24, 'spike');
  const counts = new Map<string, { normal: number; drifted: number; steps: number; spikes: number }>();
  for (const level of ['absolute', 'relative'] as const) {
    const model = await fitModel({ level, layers: [16], latentSize: 4, epochs: 25, learningRate: 0.01, seed: 5 }, train);
    try {
      counts.set(level, { normal: flaggedIn(model, probe), drifted: flaggedIn(model, drifted), steps: flaggedIn(model, steps), spikes: flaggedIn(model, spikes) });
      // score() and the lean path agree.
      assert.deepEqual(model.score(drifted).map((s) => s.anomalous), Array.from(model.scoreBatch(drifted).anomalous, (a) => a === 1));
    } finally {
      model.dispose();
    }
  }
  assert.deepEqual(counts.get('absolute'), { normal: 0, drifted: 12, steps: 12, spikes: 12 });
  assert.deepEqual(counts.get('relative'), { normal: 0, drifted: 0, steps: 12, spikes: 12 });
});

test("a relative model's expected values and band are in data units at the window's own level", async () => {
  const model = await fitModel({ level: 'relative', layers: [16], latentSize: 4, epochs: 25, learningRate: 0.01, seed: 5 }, sineWindows(400, W, 1, 21));
  try {
    for (const window of raised(sineWindows(6, W, 1, 25), 50)) {
      const [band] = model.bands([window], 0.95);
      const channel = band!.channels[0]!;
      const actual = window.values[W - 1] as number;
      assert.ok(Math.abs(channel.expected - actual) < 0.5, `expected ${channel.expected} near the actual ${actual}, 50 above anything learnt`);
      assert.ok(channel.lower! < channel.expected && channel.expected < channel.upper! && channel.upper! - channel.lower! < 2, `band [${channel.lower}, ${channel.upper}] is around ${channel.expected}`);
    }
    const [explained] = model.scoreBatch(raised(sineWindows(1, W, 1, 26, 'spike'), 50)).explain([0]);
    for (const step of explained!.topSteps) {
      const v = step.values![0]!;
      assert.ok(v.expected > 45 && v.expected < 55, `an explanation's expected value ${v.expected} is at the window's level`);
    }
  } finally {
    model.dispose();
  }
});
