import { seededRng } from '@hourglass/core';
// The native TensorFlow backend and WebAssembly must score windows alike: a small dense autoencoder
// is fitted (seeded) on the native backend, and the per-window reconstruction errors (mean squared
// error) of a fixed set of windows are computed on native and on wasm with identical weights.
//
// Tolerance: both backends compute in float32 (ε = 1.19e-7) but sum in different orders (Eigen /
// oneDNN sgemm vs XNNPACK, with or without FMA), so each reconstructed value y may differ by a few ε
// times its magnitude (measured: ≤ 3e-7 absolute for outputs ≤ 0.7, docs/native-backend.md; we allow
// δ = 1e-6). The error of a window is e = mean((y - x)²), so |Δe| ≤ mean(2·|y - x|·δ + δ²) ≤
// 2·δ·√e + δ² (Cauchy-Schwarz). For well-reconstructed windows (e ~ 3e-5) that dominates: the
// subtraction y - x cancels digits, and the relative difference reaches ~4e-5 (measured). So the
// bound is |Δe| ≤ 1e-4·e + 2·δ·√e + δ²: the relative term covers the errors' own rounding, the
// second the cancellation. It is loose enough for any summation order and tight enough to catch a
// wrong op (a missing bias, another activation, a float16 path), which moves errors by percent.
// The ranking of the top-k anomalies must be identical: their errors are orders of magnitude apart
// from each other's differences.
//
// Native is required when HOURGLASS_REQUIRE_NATIVE=1 (CI); otherwise a missing native backend skips
// this test with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend, requireNativeFromEnv, type Tf } from './backend';

const WINDOW = 32;
const NORMAL = 240;
/** Window index → added spike height: distinct heights make a distinct, stable ranking. */
const ANOMALIES = new Map<number, number>([
  [7, 1.2], [40, 1.6], [77, 2.0], [111, 2.4], [150, 2.8], [181, 3.2], [205, 3.6], [233, 4.0],
]);
const TOP_K = ANOMALIES.size;
const REL_TOL = 1e-4;
/** Allowed difference of one reconstructed value between backends (10× the largest measured). */
const OUTPUT_DELTA = 1e-6;

function tolerance(error: number): number {
  return REL_TOL * error + 2 * OUTPUT_DELTA * Math.sqrt(error) + OUTPUT_DELTA ** 2;
}

/** Seeded sine windows with noise; `spikes` adds a spike in the middle of the chosen windows. */
function windows(count: number, seed: number, spikes: ReadonlyMap<number, number>): Float32Array {
  const rand = seededRng(seed).next;
  const out = new Float32Array(count * WINDOW);
  for (let w = 0; w < count; w++) {
    const phase = rand() * 2 * Math.PI;
    for (let i = 0; i < WINDOW; i++) out[w * WINDOW + i] = 0.5 * Math.sin(phase + (2 * Math.PI * 2 * i) / WINDOW) + 0.02 * (rand() - 0.5);
    const spike = spikes.get(w);
    if (spike !== undefined) out[w * WINDOW + WINDOW / 2] = out[w * WINDOW + WINDOW / 2]! + spike;
  }
  return out;
}

function buildModel(tf: Tf, seed: number): ReturnType<Tf['sequential']> {
  const model = tf.sequential();
  const units = [16, 4, 16, WINDOW];
  units.forEach((u, i) => {
    model.add(tf.layers.dense({
      units: u,
      activation: i < units.length - 1 ? 'relu' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
      biasInitializer: 'zeros',
      ...(i === 0 ? { inputShape: [WINDOW] } : {}),
    }));
  });
  return model;
}

/** Per-window MSE computed on the active backend; read back outside the tidy. */
function reconstructionErrors(tf: Tf, model: ReturnType<Tf['sequential']>, data: Float32Array, count: number): Float32Array {
  const errors = tf.tidy(() => {
    const x = tf.tensor2d(data, [count, WINDOW]);
    const y = model.predict(x, { batchSize: count }) as ReturnType<Tf['tensor2d']>;
    return tf.mean(tf.squaredDifference(y, x), 1);
  });
  const out = errors.dataSync() as Float32Array;
  errors.dispose();
  return out;
}

function topK(errors: Float32Array, k: number): number[] {
  return [...errors.keys()].sort((a, b) => errors[b]! - errors[a]! || a - b).slice(0, k);
}

test('native and wasm give the same reconstruction errors for the same weights', async (t) => {
  const requireNative = requireNativeFromEnv(process.env);
  let native;
  try {
    native = await initBackend({ force: 'tensorflow' });
  } catch (error) {
    if (requireNative) throw error; // HOURGLASS_REQUIRE_NATIVE=1: a missing native backend is a failure
    t.skip(`native TensorFlow backend unavailable (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); set HOURGLASS_REQUIRE_NATIVE=1 to make this a failure`);
    return;
  }
  const tf = native.tf;
  assert.equal(native.info.name, 'tensorflow');
  assert.equal(native.info.native, true);
  assert.match(native.info.tensorflowVersion ?? '', /^2\.\d+/, 'the TensorFlow C library reports its version');
  assert.equal(tf.getBackend(), 'tensorflow');

  // Fit on native (seeded initial weights, no shuffling: the run is deterministic).
  const train = windows(NORMAL, 1, new Map());
  const model = buildModel(tf, 7);
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
  const xs = tf.tensor2d(train, [NORMAL, WINDOW]);
  const history = await model.fit(xs, xs, { epochs: 30, batchSize: 32, shuffle: false, verbose: 0 });
  xs.dispose();
  const losses = history.history.loss as number[];
  assert.ok(losses[losses.length - 1]! < losses[0]! / 2, `training reduced the loss (${losses[0]} → ${losses[losses.length - 1]})`);
  assert.equal(tf.getBackend(), 'tensorflow', 'the fit ran on the native backend');

  const test = windows(NORMAL, 2, ANOMALIES);
  const nativeErrors = reconstructionErrors(tf, model, test, NORMAL);
  assert.equal(tf.getBackend(), 'tensorflow', 'native errors were computed on the native backend');
  const weights = model.getWeights().map((w) => ({ shape: w.shape, values: (w.dataSync() as Float32Array).slice() }));
  model.optimizer.dispose();
  model.dispose();

  // The same weights on wasm.
  const wasm = await initBackend({ force: 'wasm' });
  assert.equal(wasm.tf.getBackend(), 'wasm');
  assert.equal(wasm.info.native, false);
  const wasmModel = buildModel(wasm.tf, 99); // other initial weights, overwritten below
  const values = weights.map((w) => wasm.tf.tensor(w.values, w.shape));
  wasmModel.setWeights(values);
  wasm.tf.dispose(values);
  const wasmErrors = reconstructionErrors(wasm.tf, wasmModel, test, NORMAL);
  assert.equal(wasm.tf.getBackend(), 'wasm');
  wasmModel.dispose();

  let worstRel = 0;
  let worstShare = 0; // largest |Δe| / tolerance: how much of the allowance was used
  for (let i = 0; i < NORMAL; i++) {
    const a = nativeErrors[i]!;
    const b = wasmErrors[i]!;
    assert.ok(Number.isFinite(a) && Number.isFinite(b), `window ${i}: finite errors`);
    const diff = Math.abs(a - b);
    const tol = tolerance(Math.max(a, b));
    worstRel = Math.max(worstRel, diff / Math.max(a, b));
    worstShare = Math.max(worstShare, diff / tol);
    assert.ok(diff <= tol, `window ${i}: native ${a} vs wasm ${b}: |Δ| ${diff.toExponential(2)} > tolerance ${tol.toExponential(2)}`);
  }
  t.diagnostic(`TensorFlow ${native.info.tensorflowVersion}; largest relative difference ${worstRel.toExponential(2)}; ` +
    `largest share of the tolerance used ${(worstShare * 100).toFixed(1)}%; errors range ${Math.min(...nativeErrors).toExponential(2)} to ${Math.max(...nativeErrors).toExponential(2)}`);

  const nativeTop = topK(nativeErrors, TOP_K);
  assert.deepEqual(topK(wasmErrors, TOP_K), nativeTop, 'same top-k anomalies in the same order');
  // The model must have learned something, or agreement would be cheap: the injected spikes rank
  // first, largest spike first.
  const bySpike = [...ANOMALIES].sort((a, b) => b[1] - a[1]).map(([i]) => i);
  assert.deepEqual(nativeTop, bySpike, 'the injected anomalies are the top-k, in order of spike height');
});
