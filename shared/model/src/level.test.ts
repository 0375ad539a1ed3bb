import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Window } from '@hourglass/core';
import fc from 'fast-check';
import { prepare, selectRows } from './data';
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

test('prepare with a relative level: every window row has mean 0 per channel over its observed values, and adding its level back gives the absolute row', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 12 }),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.boolean()), { minLength: 36, maxLength: 36 }),
      (steps, channels, cells) => {
        const dim = steps * channels;
        const values = Float32Array.from({ length: dim }, (_, k) => cells[k % cells.length]![0]);
        const mask = Uint8Array.from({ length: dim }, (_, k) => (cells[k % cells.length]![1] || k < channels ? 1 : 0));
        const names = ['a', 'b', 'c'].slice(0, channels);
        const window: Window = { formatVersion: 1, series: 's', group: 'g', startMs: 0, endMs: (steps - 1) * 1000, intervalMs: 1000, channels: names, values, mask, ingestedAtMs: 0 };
        const shape = { steps, channels: names };
        const norm = { center: names.map(() => 5), scale: names.map(() => 2) };
        const absolute = prepare([window], shape, norm, { level: 'absolute' });
        const relative = prepare([window], shape, norm, { level: 'relative' });
        assert.equal(absolute.level, null);
        assert.deepEqual(relative.mask, absolute.mask);
        for (let c = 0; c < channels; c += 1) {
          let sum = 0;
          let seen = 0;
          for (let k = c; k < dim; k += channels) {
            if (relative.mask[k] !== 1) continue;
            sum += relative.x[k]!;
            seen += 1;
            assert.ok(Math.abs(relative.x[k]! + relative.level![c]! - absolute.x[k]!) < 1e-3 * (1 + Math.abs(absolute.x[k]!)));
          }
          assert.ok(Math.abs(sum / seen) < 1e-3, `channel ${c}: mean ${sum / seen}`);
        }
        const picked = selectRows(relative, [0, 0]);
        assert.deepEqual(Array.from(picked.level!), [...relative.level!, ...relative.level!]);
      },
    ),
    { numRuns: 200 },
  );
});
