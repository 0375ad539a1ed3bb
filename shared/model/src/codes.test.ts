import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ModelType, modelTypes } from '@hourglass/core';
import { fitModel, loadModel } from './index';
import { sineWindows } from './testing/signals';

/**
 * Every model type exposes its code for a window (the VAE: the encoder mean): the latent size,
 * finite, the same for a window whatever batch it is in and after the artifact round trip, with
 * the training codes' median in the manifest; and codes place windows of one anomaly kind nearer
 * each other than windows of another kind.
 */
const W = 32;
const small = (type: ModelType) => ({ type, layers: [16], latentSize: 4, epochs: 25, batchSize: 64, learningRate: 0.01, seed: 7 });

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 1) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

for (const type of modelTypes) {
  test(`${type}: codes have the latent size, are finite, do not depend on the batch, and survive the artifact`, async () => {
    const model = await fitModel(small(type), sineWindows(300, W, 1, 1));
    try {
      const probe = [...sineWindows(6, W, 1, 303), ...sineWindows(3, W, 1, 304, 'spike')];
      const codes = model.encode(probe);
      assert.equal(codes.length, probe.length);
      for (const code of codes) {
        assert.equal(code.length, 4);
        assert.ok(code.every(Number.isFinite));
      }
      assert.deepEqual(model.encode([probe[4]!])[0], codes[4], 'a window\'s code does not depend on its batch');
      assert.equal(model.codeCenter?.length, 4);
      assert.ok(model.codeCenter!.every(Number.isFinite));
      const loaded = await loadModel(model.toArtifact());
      try {
        assert.deepEqual(loaded.encode(probe), codes);
        assert.deepEqual(loaded.codeCenter, model.codeCenter);
      } finally {
        loaded.dispose();
      }
      assert.deepEqual(model.encode([]), []);
    } finally {
      model.dispose();
    }
  });
}

test('codes of one anomaly kind are nearer each other than those of another kind (undercomplete and variational)', async () => {
  for (const type of ['undercomplete', 'variational'] as const) {
    const model = await fitModel(small(type), sineWindows(300, W, 1, 1));
    try {
      const level = model.encode(sineWindows(20, W, 1, 401, 'levelShift'));
      const frequency = model.encode(sineWindows(20, W, 1, 402, 'frequency'));
      let within = 0;
      let across = 0;
      for (let i = 0; i < 20; i += 1) {
        for (let j = 0; j < 20; j += 1) {
          if (i !== j) within += distance(level[i]!, level[j]!) + distance(frequency[i]!, frequency[j]!);
          across += 2 * distance(level[i]!, frequency[j]!);
        }
      }
      within /= 2 * 20 * 19;
      across /= 2 * 20 * 20;
      assert.ok(within < across, `${type}: mean distance within a kind ${within.toFixed(3)} vs across kinds ${across.toFixed(3)}`);
    } finally {
      model.dispose();
    }
  }
});
