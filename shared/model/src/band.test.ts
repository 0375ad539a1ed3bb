import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelType, Window } from '@hourglass/core';
import { fitModel, loadModel } from './index';
import { bandOffsets, fitBand, validateBand } from './band';
import { sineWindows } from './testing/signals';

const W = 24;

test('band quantiles: interpolated two-sided offsets, validated shape', () => {
  const band = fitBand([Array.from({ length: 101 }, (_, i) => i - 50), []], 101);
  assert.deepEqual(bandOffsets(band, 0, 0.9), { lower: -45, upper: 45 });
  assert.deepEqual(bandOffsets(band, 0, 1), { lower: -50, upper: 50 });
  assert.equal(bandOffsets(band, 1, 0.9), null, 'a channel never observed at the newest step has no band');
  assert.deepEqual(validateBand(band, 2), []);
  assert.match(validateBand(band, 3)[0]!, /one list per channel/);
  assert.match(validateBand({ ...band, residuals: [[3, 2, 1], []] }, 2)[0]!, /non-decreasing/);
});

for (const type of ['undercomplete', 'variational'] as const satisfies readonly ModelType[]) {
  test(`${type}: the band holds about its coverage of new normal values, in data units, and leaves a spike outside; it survives the artifact`, async () => {
    // Channel b sits around 10 with amplitude 2: a band in normalised units would be visibly wrong.
    const model = await fitModel({ type, layers: [16], latentSize: 4, epochs: 30, batchSize: 64, learningRate: 0.01, seed: 3 }, sineWindows(400, W, 3, 1));
    const loaded = await loadModel(model.toArtifact());
    try {
      const fresh = sineWindows(300, W, 3, 77);
      const bands = loaded.bands(fresh, 0.9);
      let inside = 0;
      let total = 0;
      bands.forEach((b, i) => {
        assert.equal(b.ts, fresh[i]!.endMs);
        assert.deepEqual(b.channels.map((c) => c.channel), ['a', 'b', 'c']);
        for (const c of b.channels) {
          assert.ok(c.lower! <= c.expected && c.expected <= c.upper!, `expected inside its band: ${JSON.stringify(c)}`);
          total += 1;
          if (c.actual! >= c.lower! && c.actual! <= c.upper!) inside += 1;
        }
      });
      const share = inside / total;
      assert.ok(share > 0.75 && share < 0.99, `${(100 * share).toFixed(1)}% of new normal values inside the 90% band`);
      const b = bands[0]!.channels[1]!;
      assert.ok(Math.abs(b.expected - 10) < 3, `channel b's expected value is in data units (${b.expected})`);
      model.bands(fresh.slice(0, 5), 0.9).forEach((x, i) => x.channels.forEach((c, k) => {
        const other = bands[i]!.channels[k]!;
        for (const key of ['expected', 'lower', 'upper'] as const) assert.ok(Math.abs(c[key]! - other[key]!) < 1e-4 * Math.max(1, Math.abs(c[key]!)), `the loaded model draws the same band (${key})`);
      }));

      // A spike at the newest step of channel a lands outside its band.
      const spiked: Window[] = fresh.slice(0, 20).map((w) => {
        const values = Float32Array.from(w.values);
        values[(W - 1) * 3] = (values[(W - 1) * 3] as number) + 8;
        return { ...w, values };
      });
      const outside = loaded.bands(spiked, 0.9).filter((x) => x.channels[0]!.actual! > x.channels[0]!.upper!).length;
      assert.ok(outside >= 18, `${outside} of 20 spikes above the band`);
      // The explanation of a scored window carries actual and expected at its top steps.
      const scored = loaded.scoreBatch(spiked.slice(0, 1));
      const top = scored.explain([0])[0]!.topSteps[0]!;
      assert.equal(top.step, W - 1, 'the spiked step explains the most');
      assert.equal(top.values?.[0]?.actual, spiked[0]!.values[(W - 1) * 3]);
      assert.ok(Math.abs(top.values![0]!.actual! - top.values![0]!.expected) > 4, 'actual and expected differ by about the spike');
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });
}
