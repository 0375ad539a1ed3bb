import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HourglassError } from '@hourglass/core';
import { type ModelManifest, crc32, decodeArtifact, encodeArtifact } from './artifact';
import { type AnomalyModel, fitModel, initBackend, loadModel } from './index';
import { sineWindows } from './testing/signals';

/** The loader refuses every corrupt or hostile artifact with a clear error, before creating a tensor. */

let model: AnomalyModel;
let bytes: Uint8Array;
let decoded: ReturnType<typeof decodeArtifact>;

before(async () => {
  model = await fitModel({ type: 'variational', layers: [8], latentSize: 2, epochs: 2, seed: 3 }, sineWindows(60, 16, 1, 1));
  bytes = model.toArtifact();
  decoded = decodeArtifact(bytes);
});
after(() => model.dispose());

async function refusal(artifact: Uint8Array, maxBytes?: number): Promise<HourglassError> {
  const { tf } = await initBackend();
  const tensors = tf.memory().numTensors;
  try {
    await loadModel(artifact, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    assert.ok(error instanceof HourglassError, String(error));
    assert.equal(tf.memory().numTensors, tensors, 'a refused artifact creates no tensors');
    return error;
  }
  assert.fail('the artifact was accepted');
}

/** Re-encodes a tampered manifest or weights with a valid checksum, so the deeper checks are what refuses it. */
function forge(patch: (m: ModelManifest) => unknown, weights: readonly Float32Array[] = decoded.weights): Uint8Array {
  return encodeArtifact(patch(structuredClone(decoded.manifest) as ModelManifest) as ModelManifest, weights);
}

test('a valid artifact loads and round-trips byte for byte', async () => {
  const loaded = await loadModel(bytes);
  assert.deepEqual(loaded.toArtifact(), bytes);
  loaded.dispose();
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926, 'CRC-32 check value');
});

test('truncated artifacts are refused', async () => {
  for (const length of [0, 10, 40, bytes.length - 1, bytes.length - 100]) {
    const error = await refusal(bytes.slice(0, length));
    assert.equal(error.code, 'MODEL_ARTIFACT_INVALID');
    assert.match(error.message, /truncated|checksum/);
  }
});

test('flipped bits are caught by the checksum', async () => {
  const corrupt = bytes.slice();
  corrupt[bytes.length - 50] = (corrupt[bytes.length - 50] as number) ^ 0x10;
  assert.match((await refusal(corrupt)).message, /checksum mismatch/);
  const notOurs = bytes.slice();
  notOurs[0] = 0x50;
  assert.match((await refusal(notOurs)).message, /bad magic/);
});

test('an unknown format version is refused by name', async () => {
  const future = bytes.slice();
  new DataView(future.buffer).setUint32(8, 99, true);
  const error = await refusal(future);
  assert.equal(error.code, 'MODEL_ARTIFACT_VERSION');
  assert.match(error.message, /version 99 is not supported/);
});

test('oversize artifacts are refused before parsing', async () => {
  const error = await refusal(bytes, bytes.length - 1);
  assert.equal(error.code, 'MODEL_ARTIFACT_TOO_LARGE');
});

test('NaN weights are refused', async () => {
  const weights = decoded.weights.map((w) => w.slice());
  (weights[2] as Float32Array)[0] = NaN;
  assert.match((await refusal(forge((m) => m, weights))).message, /non-finite value/);
});

test('wrong shapes are refused: manifest shapes, weight bytes, window shape, config', async () => {
  assert.match((await refusal(forge((m) => ({ ...m, weights: m.weights.map((w, i) => (i === 0 ? { ...w, shape: [15, 8] } : w)) })))).message, /weight shapes do not match/);
  assert.match((await refusal(forge((m) => ({ ...m, shape: { ...m.shape, steps: 17 } })))).message, /weight shapes do not match/);
  const short = decoded.weights.map((w, i) => (i === 0 ? w.subarray(1) : w));
  assert.match((await refusal(forge((m) => m, short))).message, /weights take/);
  assert.match((await refusal(forge((m) => ({ ...m, config: { ...m.config, layers: [9] } })))).message, /weight shapes/);
  assert.match((await refusal(forge((m) => ({ ...m, config: { ...m.config, bogus: 1 } })))).message, /config is invalid/);
  assert.match((await refusal(forge((m) => ({ ...m, type: 'sparse' })))).message, /differs from config type/);
});

test('non-finite or inconsistent statistics are refused', async () => {
  assert.match((await refusal(forge((m) => ({ ...m, normalisation: { center: [0], scale: [0] } })))).message, /positive scales/);
  assert.match((await refusal(forge((m) => ({ ...m, calibration: { ...m.calibration, tailScale: -1 } })))).message, /tailScale/);
  assert.match((await refusal(forge((m) => ({ ...m, threshold: { ...m.threshold, value: null } })))).message, /threshold value/);
  assert.match((await refusal(forge((m) => ({ ...m, threshold: { ...m.threshold, value: 1e9 } })))).message, /inconsistent/);
  const garbage = encodeArtifact(decoded.manifest, decoded.weights);
  garbage.set(new TextEncoder().encode('{{{{'), 16);
  new DataView(garbage.buffer).setUint32(garbage.length - 4, crc32(garbage.subarray(0, garbage.length - 4)), true);
  assert.match((await refusal(garbage)).message, /not valid UTF-8 JSON/);
});
