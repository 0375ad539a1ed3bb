'use strict';
// Smoke test of the native TensorFlow backend, run in a child process by
// scripts/native-backend.mjs (a fresh process, because tfjs-node registers itself as a
// side effect of require() and loads ~630 MB of TensorFlow). Prints one JSON line on stdout:
// {"ok":true,...} or {"ok":false,"check":"...","error":"..."}. Exit code 0 only when ok.
// CommonJS on purpose: tfjs-node is a CommonJS package and require() errors are clearer.

let check = 'require @tensorflow/tfjs-node';
const result = { ok: false };

function expectClose(name, actual, expected, tol = 1e-5) {
  check = name;
  const a = Array.from(actual);
  if (a.length !== expected.length || a.some((v, i) => Math.abs(v - expected[i]) > tol)) {
    throw new Error(`expected [${expected}] but got [${a}]`);
  }
}

async function main() {
  const tf = require('@tensorflow/tfjs-node');

  check = 'backend is tensorflow';
  const backend = tf.getBackend();
  if (backend !== 'tensorflow') throw new Error(`tf.getBackend() is '${backend}'`);
  // The addon exposes TF_Version() from the C library as a plain string property.
  result.tfVersion = String(tf.backend().binding.TF_Version);
  result.tfjsNode = tf.version['tfjs-node'];

  expectClose('tf.add', tf.add([1, 2], [3, 4]).dataSync(), [4, 6]);
  expectClose('tf.matMul', tf.matMul([[1, 2], [3, 4]], [[5], [6]]).dataSync(), [17, 39]);

  check = 'string tensor';
  const strings = tf.tensor(['anomaly', 'größe']).dataSync();
  if (strings[0] !== 'anomaly' || strings[1] !== 'größe') {
    throw new Error(`round trip gave ${JSON.stringify(Array.from(strings))}`);
  }

  check = 'model.fit of a dense layer';
  // y = 2x + 1: a few epochs of SGD must lower the loss (checks gradients and optimizer ops).
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  const xs = tf.linspace(-1, 1, 32).reshape([32, 1]);
  const ys = xs.mul(2).add(1);
  const history = await model.fit(xs, ys, { epochs: 20, batchSize: 8, verbose: 0 });
  const loss = history.history.loss;
  if (!(loss[loss.length - 1] < loss[0])) throw new Error(`loss did not decrease: ${loss}`);
  result.fitLoss = [loss[0], loss[loss.length - 1]];

  result.ok = true;
}

main()
  .catch((err) => {
    result.check = check;
    result.error = String((err && err.message) || err).split('\n').slice(0, 6).join('\n');
  })
  .finally(() => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exitCode = result.ok ? 0 : 1;
  });
