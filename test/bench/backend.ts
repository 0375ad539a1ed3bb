// Backend benchmark: the same dense autoencoders, with the same weights, on the native TensorFlow
// backend (`tensorflow`), WebAssembly (`wasm`) and plain JavaScript (`cpu`), side by side.
//
//   npm run bench:backend                 markdown tables on stdout, progress on stderr
//   npm run bench:backend -- --json       the same results as one JSON object, the last stdout line
//   npm run bench:backend -- --quick      shorter timings (for checking the bench itself)
//
// TensorFlow reads its thread settings (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS,
// TF_ENABLE_ONEDNN_OPTS) once, when the native backend is first loaded, so each setting runs in its
// own child process (`--child SPEC`). docs/bench-backend.md has the results and what they mean.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { initBackend, requireNativeFromEnv, type BackendName, type Tf } from '@hourglass/model';
import { uniformRng } from '../support/spiky-sine';
import {
  environment,
  markdownTable,
  microsPerCall,
  nowMs,
  processThreadCount,
  si,
  timeInterleaved,
  timeSync,
  type Environment,
  type TimingOptions,
} from './bench-util';

type Tensor = ReturnType<Tf['tensor']>;
type Tensor1D = ReturnType<Tf['tensor1d']>;
type Tensor2D = ReturnType<Tf['tensor2d']>;
type Sequential = ReturnType<Tf['sequential']>;

const repoRoot = path.resolve(__dirname, '..', '..', '..');

// ------------------------------------------------------------------ what is measured

interface ModelSpec {
  readonly window: number;
  /** Hidden layer widths between input and output; the middle one is the code. */
  readonly hidden: readonly number[];
}

const MODELS: readonly ModelSpec[] = [
  { window: 64, hidden: [32, 16, 8, 16, 32] },
  { window: 128, hidden: [64, 32, 16, 32, 64] },
];
const BATCHES = [1, 64, 1024, 8192] as const;
const DATA_WINDOWS = 8192;
const TRAIN = { windows: 8192, batchSize: 256, epochs: 3, cpuEpochs: 1, learningRate: 1e-3 } as const;

/**
 * Inference paths. Every one starts from a Float32Array of windows (upload included) and ends with
 * the numbers in a JS typed array (download included), because that is what a scorer does.
 */
const PATHS = {
  layers: 'model.predict(x, { batchSize: n }) then dataSync() of the n×W reconstruction',
  fused: 'tf.tidy over chained tf.fused.matMul({ a, b: W, bias, activation }), dataSync() of the reconstruction outside the tidy',
  unfused: 'tf.tidy over chained tf.relu(tf.add(tf.matMul(h, W), b)), dataSync() outside the tidy',
  score: "the fused chain plus tf.mean(tf.squaredDifference(y, x), 1) in the same tidy; dataSync() of the n per-window MSEs only",
  scoreUnfused: 'the unfused chain plus the same per-window MSE; dataSync() of the n MSEs only',
} as const;
type PathName = keyof typeof PATHS;

interface ChildSpec {
  readonly label: string;
  /** Environment set for this child (on top of the parent's). */
  readonly env: Record<string, string>;
  readonly backends: BackendName[];
  readonly paths: PathName[];
  readonly training: boolean;
  readonly quick: boolean;
}

interface InferenceRow {
  readonly window: number;
  readonly batch: number;
  readonly path: PathName;
  readonly windowsPerSec: number;
  readonly medianMs: number;
  readonly reps: number;
  readonly capped: boolean;
}

interface TrainingRow {
  readonly window: number;
  readonly windows: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seconds: number;
  readonly windowsPerSec: number;
  readonly finalLoss: number;
}

interface Micro {
  /** tf.add of two 4-element tensors, result disposed, nothing read back. */
  readonly tinyAddUs: number;
  /** The same plus dataSync() of the 4 results. */
  readonly tinyAddReadUs: number;
  /** tf.tidy(() => tf.add(a, b)) (scope bookkeeping on top of tinyAddUs). */
  readonly tinyAddTidyUs: number;
  /** Upload a 1024×64 Float32Array, one tf.relu, dataSync() of the 1024×64 result. */
  readonly roundTrip1024x64Us: number;
  /** Same for 8192×128 (4 MiB each way). */
  readonly roundTrip8192x128Us: number;
  /** Kernels tfjs runs for one forward pass of the W=64 model at batch 64, per path (tf.profile). */
  readonly kernelsPerForward: Partial<Record<PathName, { count: number; names: string }>>;
  readonly matMul: { n: number; ms: number; gflops: number };
  /** One layer (64 → 32) at batch 8192, inputs already on the backend, nothing read back. */
  readonly layer8192: { matMulUs: number; addBiasUs: number; reluUs: number; fusedUs: number };
}

interface BackendResult {
  readonly backend: BackendName;
  readonly available: boolean;
  readonly reason?: string;
  readonly tensorflowVersion?: string | null;
  readonly threads?: Record<string, string | number | boolean | null>;
  readonly micro?: Micro;
  readonly inference?: InferenceRow[];
  readonly training?: TrainingRow[];
  /** Largest |difference| of the W=64 reconstruction of 256 windows from the first backend's. */
  readonly maxAbsDiffFromFirst?: number | null;
  readonly leakedTensors?: number;
}

interface ChildResult {
  readonly label: string;
  readonly env: Record<string, string>;
  readonly tfEnv: Record<string, string>;
  readonly versions: Record<string, string>;
  readonly backends: BackendResult[];
  readonly seconds: number;
}

const log = (line: string): void => void process.stderr.write(`bench:backend: ${line}\n`);

// ------------------------------------------------------------------ data and weights (seeded)

function makeWindows(count: number, window: number, seed: number): Float32Array {
  const rand = uniformRng(seed);
  const out = new Float32Array(count * window);
  for (let w = 0; w < count; w++) {
    const freq = 1 + rand() * 3;
    const phase = rand() * Math.PI * 2;
    const amp = 0.5 + rand() * 0.5;
    for (let i = 0; i < window; i++) out[w * window + i] = amp * Math.sin(phase + (2 * Math.PI * freq * i) / window) + 0.05 * (rand() - 0.5);
  }
  return out;
}

interface LayerWeights {
  readonly inputs: number;
  readonly units: number;
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/** Glorot-uniform kernels and small biases from a fixed seed: identical on every backend. */
function makeWeights(spec: ModelSpec, seed: number): LayerWeights[] {
  const rand = uniformRng(seed);
  const dims = [spec.window, ...spec.hidden, spec.window];
  const layers: LayerWeights[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const inputs = dims[i]!;
    const units = dims[i + 1]!;
    const limit = Math.sqrt(6 / (inputs + units));
    const kernel = new Float32Array(inputs * units).map(() => (rand() * 2 - 1) * limit);
    const bias = new Float32Array(units).map(() => (rand() * 2 - 1) * 0.01);
    layers.push({ inputs, units, kernel, bias });
  }
  return layers;
}

function describeModel(spec: ModelSpec): string {
  return `${spec.window} → ${spec.hidden.join(' → ')} → ${spec.window} (ReLU hidden, linear output; code ${spec.hidden[(spec.hidden.length - 1) >> 1]})`;
}

function buildModel(tf: Tf, weights: readonly LayerWeights[]): Sequential {
  const model = tf.sequential();
  weights.forEach((l, i) => {
    const last = i === weights.length - 1;
    model.add(tf.layers.dense({ units: l.units, activation: last ? 'linear' : 'relu', ...(i === 0 ? { inputShape: [l.inputs] } : {}) }));
  });
  const values = weights.flatMap((l) => [tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias)]);
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

interface LeanLayer {
  readonly kernel: Tensor2D;
  readonly bias: Tensor1D;
}

function forwardFused(tf: Tf, x: Tensor2D, layers: readonly LeanLayer[]): Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.fused.matMul({ a: h, b: l.kernel, bias: l.bias, activation: i < layers.length - 1 ? 'relu' : 'linear' }) as Tensor2D;
  });
  return h;
}

function forwardUnfused(tf: Tf, x: Tensor2D, layers: readonly LeanLayer[]): Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.kernel), l.bias);
    if (i < layers.length - 1) h = tf.relu(h);
  });
  return h;
}

/** One inference call of the given path: upload, forward, download. Returns the downloaded array. */
function inferOnce(tf: Tf, pathName: PathName, data: Float32Array, n: number, window: number, model: Sequential, lean: readonly LeanLayer[]): Float32Array {
  const values = data.subarray(0, n * window);
  if (pathName === 'layers') {
    const x = tf.tensor2d(values, [n, window]);
    const y = model.predict(x, { batchSize: n }) as Tensor;
    const out = y.dataSync() as Float32Array;
    tf.dispose([x, y]);
    return out;
  }
  const y = tf.tidy(() => {
    const x = tf.tensor2d(values, [n, window]);
    if (pathName === 'unfused') return forwardUnfused(tf, x, lean);
    if (pathName === 'scoreUnfused') return tf.mean(tf.squaredDifference(forwardUnfused(tf, x, lean), x), 1);
    const r = forwardFused(tf, x, lean);
    return pathName === 'score' ? tf.mean(tf.squaredDifference(r, x), 1) : r;
  });
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

// ------------------------------------------------------------------ child: measure one setting

function tfEnvOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'TF_ENABLE_ONEDNN_OPTS', 'OMP_NUM_THREADS', 'TF_CPP_MIN_LOG_LEVEL'];
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
}

function versions(tf: Tf | undefined): Record<string, string> {
  const req = createRequire(require.resolve('@hourglass/model'));
  const pkgVersion = (name: string): string => {
    try {
      return (req(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  const v = (tf?.version ?? {}) as Record<string, string | undefined>;
  return {
    node: process.version,
    v8: process.versions.v8,
    tfjs: v.tfjs ?? pkgVersion('@tensorflow/tfjs'),
    'tfjs-core': v['tfjs-core'] ?? pkgVersion('@tensorflow/tfjs-core'),
    'tfjs-layers': v['tfjs-layers'] ?? pkgVersion('@tensorflow/tfjs-layers'),
    'tfjs-node': pkgVersion('@tensorflow/tfjs-node'),
    'tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'),
    'tfjs-backend-cpu': v['tfjs-backend-cpu'] ?? pkgVersion('@tensorflow/tfjs-backend-cpu'),
  };
}

async function measureMicro(tf: Tf, backend: BackendName, quick: boolean, data: Float32Array, lean64: readonly LeanLayer[], model64: Sequential): Promise<Micro> {
  const a = tf.tensor1d([1, 2, 3, 4]);
  const b = tf.tensor1d([5, 6, 7, 8]);
  const tinyAddUs = microsPerCall(() => tf.add(a, b).dispose());
  const tinyAddReadUs = microsPerCall(() => {
    const c = tf.add(a, b);
    c.dataSync();
    c.dispose();
  });
  const tinyAddTidyUs = microsPerCall(() => tf.tidy(() => tf.add(a, b)).dispose());
  tf.dispose([a, b]);
  const roundTrip = (n: number, w: number): number => {
    const values = data.subarray(0, n * w);
    const t = timeSync(() => {
      const x = tf.tensor2d(values, [n, w]);
      const y = tf.relu(x);
      y.dataSync();
      tf.dispose([x, y]);
    }, { minTimeMs: quick ? 100 : 300, minReps: 5, maxTimeMs: 3000 });
    return t.medianMs * 1000;
  };
  const roundTrip1024x64Us = roundTrip(1024, 64);
  const roundTrip8192x128Us = roundTrip(8192, 128);

  const kernelsPerForward: Micro['kernelsPerForward'] = {};
  for (const p of Object.keys(PATHS) as PathName[]) {
    const info = await tf.profile(() => {
      inferOnce(tf, p, data, 64, 64, model64, lean64);
    });
    const names = info.kernels.map((k) => k.name);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    kernelsPerForward[p] = { count: names.length, names: [...counts].map(([n, c]) => `${n}×${c}`).join(' ') };
  }

  const l0 = lean64[0]!;
  const x = tf.tensor2d(data.subarray(0, 8192 * 64), [8192, 64]);
  const h = tf.matMul(x, l0.kernel);
  const layerOpts: TimingOptions = { warmup: 2, minTimeMs: quick ? 100 : 300, minReps: 5, maxTimeMs: 3000 };
  const lt = timeInterleaved({
    matMul: () => tf.matMul(x, l0.kernel).dispose(),
    addBias: () => tf.add(h, l0.bias).dispose(),
    relu: () => tf.relu(h).dispose(),
    fused: () => tf.fused.matMul({ a: x, b: l0.kernel, bias: l0.bias, activation: 'relu' }).dispose(),
  }, layerOpts);
  tf.dispose([x, h]);
  const layer8192 = { matMulUs: lt.matMul.medianMs * 1000, addBiasUs: lt.addBias.medianMs * 1000, reluUs: lt.relu.medianMs * 1000, fusedUs: lt.fused.medianMs * 1000 };

  const n = backend === 'cpu' ? 512 : 1024;
  const m1 = tf.randomUniform([n, n], -1, 1, 'float32', 1) as Tensor2D;
  const m2 = tf.randomUniform([n, n], -1, 1, 'float32', 2) as Tensor2D;
  const mm = timeSync(() => {
    const c = tf.matMul(m1, m2);
    c.dataSync();
    c.dispose();
  }, { warmup: 1, minTimeMs: quick ? 200 : 500, minReps: 3, maxTimeMs: 5000 });
  tf.dispose([m1, m2]);
  return { tinyAddUs, tinyAddReadUs, tinyAddTidyUs, roundTrip1024x64Us, roundTrip8192x128Us, kernelsPerForward, matMul: { n, ms: mm.medianMs, gflops: (2 * n ** 3) / (mm.medianMs * 1e6) }, layer8192 };
}

async function trainOnce(tf: Tf, spec: ModelSpec, weights: readonly LayerWeights[], data: Float32Array, windows: number, epochs: number): Promise<{ seconds: number; loss: number }> {
  const model = buildModel(tf, weights);
  const optimizer = tf.train.adam(TRAIN.learningRate);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const xs = tf.tensor2d(data.subarray(0, windows * spec.window), [windows, spec.window]);
  const t0 = nowMs();
  const history = await model.fit(xs, xs, { epochs, batchSize: TRAIN.batchSize, shuffle: false, verbose: 0 });
  const seconds = (nowMs() - t0) / 1000;
  const losses = history.history.loss as number[];
  xs.dispose();
  model.dispose();
  optimizer.dispose(); // its moment slots are not the model's
  return { seconds, loss: losses[losses.length - 1] ?? Number.NaN };
}

async function runBackend(spec: ChildSpec, backend: BackendName, first: { out?: Float32Array }): Promise<BackendResult> {
  const threadsBefore = processThreadCount();
  let tf: Tf;
  let tensorflowVersion: string | null = null;
  try {
    const r = await initBackend({ force: backend });
    tf = r.tf;
    tensorflowVersion = r.info.tensorflowVersion;
    if (tf.getBackend() !== backend) throw new Error(`tf.getBackend() is ${tf.getBackend()}, not ${backend}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (backend === 'tensorflow' && requireNativeFromEnv(process.env)) throw error;
    log(`${spec.label}: ${backend} unavailable: ${reason}`);
    return { backend, available: false, reason };
  }
  const startTensors = tf.memory().numTensors;
  log(`${spec.label}: ${backend}${tensorflowVersion ? ` (TensorFlow ${tensorflowVersion})` : ''}`);

  const threads: Record<string, string | number | boolean | null> = { processThreadsBeforeInit: threadsBefore, processThreadsAfterInit: processThreadCount() };
  if (backend === 'tensorflow') {
    threads.intraOp = process.env.TF_NUM_INTRAOP_THREADS ?? 'unset (TF default: one per core)';
    threads.interOp = process.env.TF_NUM_INTEROP_THREADS ?? 'unset (TF default: one per core)';
    threads.oneDnnOpts = process.env.TF_ENABLE_ONEDNN_OPTS ?? 'unset (TF 2.16 default on x86: off unless the CPU has AVX-512 VNNI/AMX)';
  } else if (backend === 'wasm') {
    const wasm = (tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm;
    threads.wasmThreads = wasm?.tfjs?.getThreadsCount?.() ?? null;
    threads.wasmMultithreadSupport = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
    threads.wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  } else {
    threads.cpu = 'single JS thread';
  }

  const data = makeWindows(DATA_WINDOWS, 128, 42); // W=64 uses the first 64 floats of each row-chunk: same array, reshaped
  const inference: InferenceRow[] = [];
  let micro: Micro | undefined;
  let maxAbsDiffFromFirst: number | null = null;
  for (const m of MODELS) {
    const weights = makeWeights(m, 1000 + m.window);
    const model = buildModel(tf, weights);
    const lean: LeanLayer[] = weights.map((l) => ({ kernel: tf.tensor2d(l.kernel, [l.inputs, l.units]), bias: tf.tensor1d(l.bias) }));
    if (m.window === 64) {
      const out = inferOnce(tf, 'fused', data, 256, 64, model, lean).slice();
      if (first.out) maxAbsDiffFromFirst = out.reduce((mx, v, i) => Math.max(mx, Math.abs(v - first.out![i]!)), 0);
      else first.out = out;
      micro = await measureMicro(tf, backend, spec.quick, data, lean, model);
      threads.processThreadsAfterOps = processThreadCount();
    }
    for (const batch of BATCHES) {
      const slowCpu = backend === 'cpu' && batch >= 1024;
      const options: TimingOptions = spec.quick
        ? { warmup: 1, minTimeMs: 100, minReps: 3, maxTimeMs: 1000 }
        : { warmup: slowCpu ? 1 : 3, minTimeMs: 400, minReps: 5, maxTimeMs: slowCpu ? 2000 : 3000 };
      const fns = Object.fromEntries(spec.paths.map((p) => [p, () => void inferOnce(tf, p, data, batch, m.window, model, lean)])) as Record<PathName, () => void>;
      const timings = timeInterleaved(fns, options);
      for (const p of spec.paths) {
        const t = timings[p];
        inference.push({ window: m.window, batch, path: p, windowsPerSec: batch / (t.medianMs / 1000), medianMs: t.medianMs, reps: t.reps, capped: t.capped });
      }
    }
    model.dispose();
    tf.dispose(lean.flatMap((l) => [l.kernel, l.bias]));
  }

  const training: TrainingRow[] = [];
  if (spec.training) {
    for (const m of MODELS) {
      const weights = makeWeights(m, 1000 + m.window);
      await trainOnce(tf, m, weights, data, 512, 1); // warm-up: kernels, gradient functions, Adam slots
      const epochs = spec.quick ? 1 : backend === 'cpu' ? TRAIN.cpuEpochs : TRAIN.epochs;
      const windows = spec.quick ? 2048 : TRAIN.windows;
      const r = await trainOnce(tf, m, weights, data, windows, epochs);
      training.push({ window: m.window, windows, epochs, batchSize: TRAIN.batchSize, seconds: r.seconds, windowsPerSec: (windows * epochs) / r.seconds, finalLoss: r.loss });
    }
  }
  const leakedTensors = tf.memory().numTensors - startTensors;
  return { backend, available: true, tensorflowVersion, threads, micro, inference, training, maxAbsDiffFromFirst, leakedTensors };
}

async function child(spec: ChildSpec): Promise<void> {
  const t0 = nowMs();
  const backends: BackendResult[] = [];
  const first: { out?: Float32Array } = {};
  let tf: Tf | undefined;
  for (const b of spec.backends) {
    backends.push(await runBackend(spec, b, first));
    if (!tf && backends[backends.length - 1]!.available) tf = (await initBackend({ force: b })).tf;
  }
  const result: ChildResult = { label: spec.label, env: spec.env, tfEnv: tfEnvOf(process.env), versions: versions(tf), backends, seconds: (nowMs() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ------------------------------------------------------------------ parent: run the settings, report

function settings(quick: boolean): ChildSpec[] {
  const lean: PathName[] = ['layers', 'fused', 'unfused', 'scoreUnfused'];
  return [
    { label: 'default', env: {}, backends: ['tensorflow', 'wasm', 'cpu'], paths: ['layers', 'fused', 'unfused', 'score', 'scoreUnfused'], training: true, quick },
    { label: 'intra=1 inter=1', env: { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' }, backends: ['tensorflow'], paths: lean, training: true, quick },
    { label: 'intra=2 inter=2', env: { TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '2' }, backends: ['tensorflow'], paths: lean, training: true, quick },
    { label: 'oneDNN opts on', env: { TF_ENABLE_ONEDNN_OPTS: '1' }, backends: ['tensorflow'], paths: lean, training: true, quick },
  ];
}

function runChild(spec: ChildSpec): ChildResult {
  log(`--- setting "${spec.label}" ${JSON.stringify(spec.env)}`);
  const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(spec)], {
    cwd: repoRoot,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2', ...spec.env },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ChildResult;
  } catch {
    throw new Error(`setting "${spec.label}" failed (exit ${r.status ?? r.signal}); stdout ended with: ${last.slice(0, 300)}`);
  }
}

const fmtUs = (us: number): string => (us >= 1000 ? `${(us / 1000).toPrecision(3)} ms` : `${us.toPrecision(3)} µs`);

function inferenceTables(results: readonly ChildResult[]): string[] {
  const out: string[] = [];
  const def = results.find((r) => r.label === 'default');
  if (!def) return out;
  for (const b of def.backends) {
    if (!b.available || !b.inference) {
      out.push(`### ${b.backend}: not available (${b.reason ?? 'unknown'})`);
      continue;
    }
    const paths = [...new Set(b.inference.map((r) => r.path))];
    const rows: string[][] = [];
    for (const m of MODELS) {
      for (const batch of BATCHES) {
        const cells = paths.map((p) => {
          const r = b.inference!.find((x) => x.window === m.window && x.batch === batch && x.path === p);
          return r ? `${si(r.windowsPerSec)}${r.capped ? ` (${r.reps} rep${r.reps > 1 ? 's' : ''}, capped)` : ''}` : '';
        });
        const best = paths.reduce((bp, p) => {
          const r = b.inference!.find((x) => x.window === m.window && x.batch === batch && x.path === p);
          const cur = b.inference!.find((x) => x.window === m.window && x.batch === batch && x.path === bp);
          return r && cur && r.windowsPerSec > cur.windowsPerSec ? p : bp;
        }, paths[0]!);
        rows.push([String(m.window), String(batch), ...cells, best]);
      }
    }
    out.push(`### Inference on \`${b.backend}\`, windows/s (median), default threads`);
    out.push(markdownTable(['W', 'batch', ...paths, 'fastest'], rows, ['r', 'r', ...paths.map(() => 'r' as const), 'l']));
  }
  // native vs wasm, best path of each and the layers path of each
  const nat = def.backends.find((b) => b.backend === 'tensorflow' && b.available);
  const wasm = def.backends.find((b) => b.backend === 'wasm' && b.available);
  if (nat?.inference && wasm?.inference) {
    const rows: string[][] = [];
    for (const m of MODELS) {
      for (const batch of BATCHES) {
        const pick = (res: BackendResult, p: PathName) => res.inference!.find((x) => x.window === m.window && x.batch === batch && x.path === p)?.windowsPerSec ?? Number.NaN;
        const ratio = (p: PathName) => (pick(nat, p) / pick(wasm, p)).toFixed(2);
        const best = (res: BackendResult) => Math.max(...res.inference!.filter((x) => x.window === m.window && x.batch === batch).map((x) => x.windowsPerSec));
        rows.push([String(m.window), String(batch), ratio('layers'), ratio('fused'), ratio('unfused'), (best(nat) / best(wasm)).toFixed(2)]);
      }
    }
    out.push('### Native ÷ wasm throughput (> 1: native faster), default threads');
    out.push(markdownTable(['W', 'batch', 'layers', 'fused', 'unfused', 'best path of each'], rows, ['r', 'r', 'r', 'r', 'r', 'r']));
  }
  // thread / oneDNN settings, native only
  const natives = results.map((r) => ({ label: r.label, b: r.backends.find((x) => x.backend === 'tensorflow' && x.available) })).filter((x) => x.b?.inference);
  if (natives.length > 1) {
    const rows: string[][] = [];
    for (const m of MODELS) {
      for (const batch of BATCHES) {
        for (const p of ['layers', 'fused', 'unfused', 'scoreUnfused'] as PathName[]) {
          rows.push([String(m.window), String(batch), p, ...natives.map(({ b }) => si(b!.inference!.find((x) => x.window === m.window && x.batch === batch && x.path === p)?.windowsPerSec ?? Number.NaN))]);
        }
      }
    }
    out.push('### Native backend under TensorFlow thread / oneDNN settings, windows/s (median; each setting is its own process)');
    out.push(markdownTable(['W', 'batch', 'path', ...natives.map((n) => n.label)], rows, ['r', 'r', 'l', ...natives.map(() => 'r' as const)]));
  }
  return out;
}

function trainingTable(results: readonly ChildResult[]): string[] {
  const rows: string[][] = [];
  for (const r of results) {
    for (const b of r.backends) {
      for (const t of b.training ?? []) {
        rows.push([b.backend, r.label, String(t.window), `${t.windows} × ${t.epochs}`, String(t.batchSize), `${t.seconds.toFixed(2)} s`, si(t.windowsPerSec), t.finalLoss.toExponential(4)]);
      }
    }
  }
  return rows.length
    ? ['### Training (Adam 1e-3, MSE, no shuffle, same initial weights), windows/s', markdownTable(['backend', 'setting', 'W', 'windows × epochs', 'batch', 'time', 'windows/s', 'final loss'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'])]
    : [];
}

function microTable(results: readonly ChildResult[]): string[] {
  const rows: string[][] = [];
  const kernelRows: string[][] = [];
  const layerRows: string[][] = [];
  for (const r of results) {
    for (const b of r.backends) {
      if (!b.micro) continue;
      const m = b.micro;
      rows.push([b.backend, r.label, fmtUs(m.tinyAddUs), fmtUs(m.tinyAddReadUs), fmtUs(m.tinyAddTidyUs), fmtUs(m.roundTrip1024x64Us), fmtUs(m.roundTrip8192x128Us), `${m.matMul.n}³: ${m.matMul.ms.toFixed(1)} ms = ${m.matMul.gflops.toFixed(1)} GFLOP/s`]);
      const L = m.layer8192;
      layerRows.push([b.backend, r.label, fmtUs(L.matMulUs), fmtUs(L.addBiasUs), fmtUs(L.reluUs), fmtUs(L.matMulUs + L.addBiasUs + L.reluUs), fmtUs(L.fusedUs)]);
      if (r.label === 'default') for (const [p, k] of Object.entries(m.kernelsPerForward)) kernelRows.push([b.backend, p, String(k.count), k.names]);
    }
  }
  return [
    '### Where the time goes: per-call costs (median)',
    markdownTable(['backend', 'setting', 'tiny tf.add', 'tiny add + dataSync', 'tidy(add)', 'upload+relu+dataSync 1024×64', 'same 8192×128', 'matMul'], rows),
    '### One layer (8192 × 64 → 32) op by op, data already on the backend, nothing read back (median)',
    markdownTable(['backend', 'setting', 'matMul', 'add bias', 'relu', 'sum of the three', 'fused.matMul (relu)'], layerRows),
    '### Kernels tfjs dispatches for one forward pass (W=64, batch 64, tf.profile; nested kernels included)',
    markdownTable(['backend', 'path', 'kernels', 'which'], kernelRows),
  ];
}

function report(env: Environment, results: readonly ChildResult[], seconds: number): string {
  const def = results[0]!;
  const lines: string[] = [];
  lines.push(`## Backend benchmark (${env.date})`, '');
  lines.push(`Machine: ${env.cpuModel}, ${env.cpus} logical CPUs (${env.cpuFlags.join(' ')}), ${env.totalMemGiB} GiB, ${env.platform}, load average ${env.loadAvg.join(' ')}; git ${env.gitCommit ?? '?'}.`);
  lines.push(`Versions: ${Object.entries(def.versions).map(([k, v]) => `${k} ${v}`).join(', ')}, TensorFlow C library ${def.backends.find((b) => b.tensorflowVersion)?.tensorflowVersion ?? 'not loaded'}.`);
  for (const r of results) {
    for (const b of r.backends) {
      if (b.threads) lines.push(`Threads, ${b.backend} (${r.label}): ${Object.entries(b.threads).map(([k, v]) => `${k}=${v}`).join(', ')}.`);
    }
  }
  lines.push('', 'Models:');
  for (const m of MODELS) lines.push(`- W=${m.window}: ${describeModel(m)}`);
  lines.push('', 'Paths (upload of a Float32Array and download into a typed array included in every one):');
  for (const [p, what] of Object.entries(PATHS)) lines.push(`- \`${p}\`: ${what}`);
  lines.push('', 'Timing: the paths of one (W, batch) cell run round-robin (one call each per round, so a busy moment hits all alike); 3 warm-up calls each, then until ≥ 0.4 s and ≥ 5 reps per path (3 s cap; cpu at batch ≥ 1024: 1 warm-up, 2 s cap, marked "capped" when fewer than 5 reps fit); median.', '');
  const diffs = def.backends.filter((b) => b.maxAbsDiffFromFirst !== undefined && b.maxAbsDiffFromFirst !== null).map((b) => `${b.backend} ${b.maxAbsDiffFromFirst!.toExponential(2)}`);
  if (diffs.length) lines.push(`Same weights check (W=64, 256 windows, largest |difference| from ${def.backends[0]!.backend}): ${diffs.join(', ')}.`, '');
  lines.push(...inferenceTables(results).flatMap((t) => [t, '']));
  lines.push(...trainingTable(results).flatMap((t) => [t, '']));
  lines.push(...microTable(results).flatMap((t) => [t, '']));
  const leaks = results.flatMap((r) => r.backends.filter((b) => (b.leakedTensors ?? 0) !== 0).map((b) => `${r.label}/${b.backend}: ${b.leakedTensors}`));
  lines.push(`Leaked tensors: ${leaks.length ? leaks.join(', ') : 'none'}. Total bench time ${seconds.toFixed(0)} s.`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf('--child');
  if (i >= 0) {
    await child(JSON.parse(argv[i + 1]!) as ChildSpec);
    return 0;
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const t0 = nowMs();
  const env = environment(repoRoot);
  const results: ChildResult[] = [];
  for (const spec of settings(quick)) results.push(runChild(spec));
  const seconds = (nowMs() - t0) / 1000;
  if (json) process.stdout.write(`${JSON.stringify({ environment: env, models: MODELS, paths: PATHS, batches: BATCHES, train: TRAIN, settings: results, seconds })}\n`);
  else process.stdout.write(`${report(env, results, seconds)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
