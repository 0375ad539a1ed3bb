// Model benchmark: training and inference throughput of every autoencoder type at W = 64 and
// W = 128 (univariate), default layer sizes ([32, 16], latent 8), on the native TensorFlow backend.
//
//   npm run bench:model               a markdown table on stdout, progress on stderr
//   npm run bench:model -- --json     the same results as one JSON object, the last stdout line
//   npm run bench:model -- --quick    fewer repetitions (for checking the bench itself)
//
// Inference is model.score() end to end on a batch of 1024 windows: normalisation, the network
// (for the VAE with its L = 16 samples), calibration and explanations. Training is the training
// loop's own duration (training report) over a fixed number of epochs, early stopping off.
import os from 'node:os';
import { type ModelType, type Window, modelTypes } from '@hourglass/core';
import { fitModel, initBackend } from '@hourglass/model';

interface Row {
  readonly backend: string;
  readonly type: ModelType;
  readonly steps: number;
  readonly inferenceWindowsPerSec: number;
  readonly trainingWindowsPerSec: number;
}

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Noisy sine windows with random phases (deterministic). */
function windows(n: number, steps: number, seed: number): Window[] {
  let s = seed >>> 0;
  const uniform = (): number => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
  return Array.from({ length: n }, (_, i) => {
    const phase = uniform() * 12;
    const values = Float32Array.from({ length: steps }, (_, t) => Math.sin((2 * Math.PI * (t + phase)) / 12) + 0.1 * (uniform() - 0.5));
    return { formatVersion: 1, series: 'bench', group: 'bench', startMs: i, endMs: i + steps - 1, intervalMs: 1, channels: ['value'], values, mask: new Uint8Array(steps).fill(1), ingestedAtMs: 0 };
  });
}

async function main(): Promise<void> {
  const { info } = await initBackend({ requireNative: true });
  if (!info.native) throw new Error(`refusing to benchmark on the ${info.name} fallback backend`);
  const rows: Row[] = [];
  const epochs = quick ? 1 : 3;
  const repeats = quick ? 2 : 10;
  for (const steps of [64, 128]) {
    const train = windows(2560, steps, 1); // 2048 train + 512 validation windows
    const batch = windows(1024, steps, 2);
    for (const type of modelTypes) {
      const model = await fitModel({ type, epochs, patience: 1000, seed: 1 }, train);
      const report = model.manifest.training;
      const trainingWindowsPerSec = (report.trainWindows * report.epochsRun) / (report.durationMs / 1000);
      model.score(batch); // warm-up: kernels and first-call allocations
      const started = process.hrtime.bigint();
      for (let i = 0; i < repeats; i += 1) model.score(batch);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      model.dispose();
      const row = { backend: info.name, type, steps, inferenceWindowsPerSec: (batch.length * repeats) / seconds, trainingWindowsPerSec };
      rows.push(row);
      log(`${info.name} ${type} W=${steps}: inference ${Math.round(row.inferenceWindowsPerSec)} windows/s, training ${Math.round(trainingWindowsPerSec)} windows/s`);
    }
  }
  const environment = {
    backend: info.name,
    tfjsVersion: info.tfjsVersion,
    tensorflowVersion: info.tensorflowVersion,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    epochs,
    inferenceBatch: 1024,
    repeats,
  };
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const table = [
    `Backend \`${info.name}\` (tfjs ${info.tfjsVersion}, TensorFlow ${info.tensorflowVersion ?? '?'}), Node ${process.version}, ${environment.cpus} × ${environment.cpuModel}`,
    '',
    '| backend | type | W | inference windows/s (batch 1024) | training windows/s |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.backend} | ${r.type} | ${r.steps} | ${fmt(r.inferenceWindowsPerSec)} | ${fmt(r.trainingWindowsPerSec)} |`),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ environment, rows })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
