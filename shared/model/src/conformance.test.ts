import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HourglassError, type ModelConfigInput, type ModelType, type Window, modelTypes, rocAuc } from '@hourglass/core';
import { type AnomalyModel, fitModel, initBackend, loadModel } from './index';
import { type AnomalyKind, sineWindows } from './testing/signals';
import { decodeArtifact } from './artifact';

/**
 * The one suite every model type passes (river-style): it learns noisy sines, ranks injected
 * anomalies above normal windows, round-trips through its artifact, reproduces itself from a seed,
 * never yields NaN and refuses bad input clearly. Models are small so the suite stays CI-sized.
 */

const W = 32;
const kinds: readonly AnomalyKind[] = ['spike', 'levelShift', 'frequency'];
const small = (type: ModelType, extra: ModelConfigInput = {}): ModelConfigInput => ({
  type,
  layers: [16],
  latentSize: 4,
  epochs: 25,
  batchSize: 64,
  learningRate: 0.01,
  seed: 7,
  ...extra,
});

function aucs(model: AnomalyModel, c: 1 | 3): Record<AnomalyKind, number> {
  const normal = model.score(sineWindows(150, W, c, 101)).map((s) => s.rawError);
  const out = {} as Record<AnomalyKind, number>;
  for (const kind of kinds) out[kind] = rocAuc(normal, model.score(sineWindows(60, W, c, 202, kind)).map((s) => s.rawError));
  return out;
}

/** The weights alone (the artifact also holds the training report, whose duration differs run to run). */
function weightsOf(model: AnomalyModel): readonly Float32Array[] {
  return decodeArtifact(model.toArtifact()).weights;
}

test('the native TensorFlow backend is active (the suite must not pass silently on a fallback)', async () => {
  const { info } = await initBackend();
  assert.equal(info.name, 'tensorflow', `backend is ${info.name}: ${info.fallbackReason}`);
});

for (const type of modelTypes) {
  test(`${type}: detects spikes, level shifts and frequency changes (univariate), round-trips, reproduces from its seed`, async () => {
    const train = sineWindows(300, W, 1, 1);
    const progress: number[] = [];
    const model = await fitModel(small(type), train, { onProgress: (p) => void progress.push(p.epoch) });
    try {
      assert.ok(progress.length >= 1 && progress[0] === 1, 'progress is reported per epoch');
      const result = aucs(model, 1);
      console.log(`AUC ${type} C=1 ${JSON.stringify(result)}`);
      for (const kind of kinds) assert.ok(result[kind] >= 0.95, `${type} ${kind} AUC ${result[kind]}`);

      const probe = [...sineWindows(20, W, 1, 303), ...sineWindows(5, W, 1, 304, 'spike')];
      const scored = model.score(probe);
      for (const s of scored) {
        assert.ok(Number.isFinite(s.rawError) && s.score >= 0 && s.score <= 1 && s.severity >= 0 && s.severity <= 100);
        assert.ok(s.explanation.topSteps.length === 3 && s.explanation.topChannels.length === 1);
      }
      const spike = scored[20] as (typeof scored)[number];
      assert.equal(spike.anomalous, true, 'a 3σ-amplitude spike crosses the POT threshold');
      assert.ok(spike.explanation.topSteps[0] !== undefined && spike.explanation.topSteps[0].share > 0.3, 'the spike step carries most of the error');

      // Save → load gives identical scores (the VAE's L draws are part of the model).
      const bytes = model.toArtifact();
      const loaded = await loadModel(bytes);
      try {
        assert.deepEqual(loaded.score(probe), scored);
        assert.deepEqual(loaded.toArtifact(), bytes);
      } finally {
        loaded.dispose();
      }

      // Same seed and data → the same weights and scores, bit for bit.
      const again = await fitModel(small(type), train);
      try {
        assert.deepEqual(weightsOf(again), weightsOf(model));
        assert.deepEqual(again.score(probe).map((s) => s.rawError), scored.map((s) => s.rawError));
      } finally {
        again.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  test(`${type}: multivariate (C=3) detection, missing values, and no tensor leaks`, async () => {
    const { tf } = await initBackend();
    const model = await fitModel(small(type, { seed: 11 }), sineWindows(300, W, 3, 5));
    try {
      const result = aucs(model, 3);
      console.log(`AUC ${type} C=3 ${JSON.stringify(result)}`);
      for (const kind of kinds) assert.ok(result[kind] >= 0.95, `${type} ${kind} AUC ${result[kind]}`);

      const windows = sineWindows(40, W, 3, 6);
      const gappy: Window[] = windows.map((w) => {
        const values = w.values.slice();
        const mask = w.mask.slice();
        for (let k = 0; k < 12; k += 1) {
          mask[k * 5] = 0;
          values[k * 5] = k % 2 === 0 ? NaN : 1e9; // whatever sits under mask 0 must not matter
        }
        return { ...w, values, mask };
      });
      const empty: Window = { ...(windows[0] as Window), mask: new Uint8Array(W * 3) };
      tf.engine().startScope();
      const before = tf.memory().numTensors;
      const scored = model.score([...gappy, empty]);
      model.score(windows);
      assert.equal(tf.memory().numTensors, before, 'scoring leaks no tensors');
      tf.engine().endScope();
      const observed = model.scoreBatch([...gappy, empty]).observed;
      for (const [i, s] of scored.slice(0, -1).entries()) assert.ok(Number.isFinite(s.rawError) && observed[i] === W * 3 - 12);
      assert.equal(observed[scored.length - 1], 0);
      assert.deepEqual(scored[scored.length - 1], { rawError: 0, score: 0, severity: 0, surprise: 0, anomalous: false, aboveThreshold: false, explanation: { topSteps: [], topChannels: [] } });
      assert.equal(new Set(scored[0]?.explanation.topChannels.map((c) => c.channel)).size, 3);
    } finally {
      model.dispose();
    }
  });
}

test('denoising with masking corruption learns to ignore missing values', async () => {
  const model = await fitModel(small('denoising', { denoising: { corruption: 'masking', maskRate: 0.15 } }), sineWindows(300, W, 1, 21));
  try {
    const windows = sineWindows(100, W, 1, 22);
    const gappy = windows.map((w) => ({ ...w, mask: w.mask.map((m, k) => (k % 8 === 3 ? 0 : m)) }));
    const flagged = model.score(gappy).filter((s) => s.anomalous).length;
    assert.ok(flagged <= 5, `${flagged} of 100 normal windows with 12% missing values were flagged`);
    const spikes = model.score(sineWindows(50, W, 1, 23, 'spike').map((w) => ({ ...w, mask: w.mask.map((m, k) => (k % 8 === 3 ? 0 : m)) })));
    const normal = model.score(gappy).map((s) => s.rawError);
    assert.ok(rocAuc(normal, spikes.map((s) => s.rawError)) >= 0.9);
  } finally {
    model.dispose();
  }
});

test('bad inputs are refused with clear errors', async () => {
  const good = sineWindows(60, W, 1, 9);
  const code = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof HourglassError, String(error));
      return error.code;
    }
    return 'no error';
  };
  assert.equal(await code(fitModel(small('undercomplete'), good.slice(0, 20))), 'MODEL_TOO_LITTLE_DATA');
  const nonFinite = good.map((w, i) => (i === 7 ? { ...w, values: w.values.map((v, k) => (k === 3 ? Infinity : v)) } : w));
  assert.equal(await code(fitModel(small('variational'), nonFinite)), 'MODEL_INPUT_NOT_FINITE');
  const mixed = [...good.slice(0, 59), ...sineWindows(1, W + 1, 1, 9)];
  assert.equal(await code(fitModel(small('sparse'), mixed)), 'MODEL_INPUT_INVALID');
  assert.equal(await code(fitModel(small('contractive', { latentSize: 40 }), good)), 'MODEL_CONFIG_INVALID');
  assert.equal(await code(fitModel({ type: 'nope', epochs: -1 } as unknown as ModelConfigInput, good)), 'CONFIG_INVALID');
  // One finite but absurd value (1e30) squares past float32: the loss overflows and training must stop, not save NaN weights.
  const absurd = good.map((w, i) => (i % 10 === 0 ? { ...w, values: w.values.map((v, k) => (k === 5 ? 1e30 : v)) } : w));
  assert.equal(await code(fitModel(small('denoising', { epochs: 3 }), absurd)), 'MODEL_TRAINING_DIVERGED');

  const model = await fitModel(small('undercomplete', { epochs: 2 }), good);
  try {
    assert.throws(() => model.score(sineWindows(2, W, 3, 1)), (e: unknown) => e instanceof HourglassError && e.code === 'MODEL_INPUT_INVALID' && /channels/.test(e.message));
    assert.throws(() => model.score(sineWindows(2, W * 2, 1, 1)), /expected W·C = 32·1/);
  } finally {
    model.dispose();
  }
  assert.throws(() => model.score(good), (e: unknown) => e instanceof HourglassError && e.code === 'MODEL_DISPOSED');
});

test('a constant series gets a model: the constant is normal in any batch, and a small change of it is anomalous', async () => {
  const good = sineWindows(120, W, 1, 9);
  const constant = good.map((w) => ({ ...w, values: new Float32Array(w.values.length).fill(3) }));
  const model = await fitModel(small('undercomplete', { epochs: 5 }), constant);
  try {
    assert.equal(model.manifest.normalisation.constant, true);
    const steady = constant.slice(0, 40);
    for (const batch of [steady, steady.slice(0, 1), steady.slice(0, 7)]) {
      assert.deepEqual(Array.from(model.scoreBatch(batch).anomalous).filter((a) => a === 1), [], `a steady window was flagged in a batch of ${batch.length}`);
    }
    // 3 -> 3.01 at one step: a third of a percent.
    const moved = steady.slice(0, 5).map((w) => ({ ...w, values: w.values.map((v, k) => (k === 7 ? 3.01 : v)) }));
    assert.deepEqual(Array.from(model.scoreBatch(moved).anomalous), [1, 1, 1, 1, 1]);
  } finally {
    model.dispose();
  }
});
