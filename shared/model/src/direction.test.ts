import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Window } from '@hourglass/core';
import { fitModel } from './index';
import { sineWindows } from './testing/signals';

/**
 * model.direction: `up` flags only windows that deviate above what the model expected, `down`
 * only those below, `both` either; a window above the threshold the other way is still marked
 * aboveThreshold, so the scorer keeps it out of the clean buffer.
 */
const W = 32;

const shifted = (windows: readonly Window[], by: number): Window[] =>
  windows.map((w) => ({ ...w, values: w.values.map((v, k) => (k >= 12 && k < 16 ? v + by : v)) }));

test('direction up flags rises only, down flags drops only, both flags both; every one of them is above the threshold', async () => {
  const train = sineWindows(400, W, 1, 21);
  const probe = sineWindows(12, W, 1, 22);
  const rises = shifted(probe, 4);
  const drops = shifted(probe, -4);
  const flagged = new Map<string, { rises: number; drops: number; normal: number }>();
  for (const direction of ['both', 'up', 'down'] as const) {
    const model = await fitModel({ direction, layers: [16], latentSize: 4, epochs: 25, learningRate: 0.01, seed: 5 }, train);
    try {
      const count = (ws: Window[]) => model.scoreBatch(ws).anomalous.reduce((a, v) => a + v, 0);
      flagged.set(direction, { rises: count(rises), drops: count(drops), normal: count(probe) });
      const batch = model.scoreBatch([...rises, ...drops]);
      assert.equal(batch.aboveThreshold.reduce((a, v) => a + v, 0), 24, `${direction}: every rise and drop is above the threshold`);
      // score() agrees with the lean path.
      assert.deepEqual(model.score([...rises, ...drops]).map((s) => s.anomalous), Array.from(batch.anomalous, (a) => a === 1));
    } finally {
      model.dispose();
    }
  }
  assert.deepEqual(flagged.get('both'), { rises: 12, drops: 12, normal: 0 });
  assert.deepEqual(flagged.get('up'), { rises: 12, drops: 0, normal: 0 });
  assert.deepEqual(flagged.get('down'), { rises: 0, drops: 12, normal: 0 });
});
