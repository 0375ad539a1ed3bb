import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashIndex, codeHasher, compileConfig, seededRng } from '@hourglass/core';
import { initBackend } from '@hourglass/model';
import { KINDS_DEFAULTS, evaluateKinds, type KindsEvaluation, type KindsStreamOptions } from '@hourglass/pipeline/dist/codes/testing/kinds-stream';
import { repoRoot } from '../infra/paths';
import { environment, markdownTable, si, timeSync } from './bench-util';

/**
 * `npm run bench:similar [-- --json] [--quick]`: what the similar-episode lookups cost and how
 * often they are right (docs/bench-similar.md).
 *
 * 1. Lookups per second with 1k, 10k and 100k stored codes of one group: HashIndex.nearest as the
 *    scorer calls it for an opening episode (the default latent size 8 and similar.hashBits 64,
 *    similar.k 3, similar.candidates 32; also 128 and 256 bits at 100k). Codes are Gaussian: a
 *    lookup's cost depends on how many codes it scans, not on what they hold.
 * 2. The generated stream of issue 19's test (shared/pipeline/src/codes/similar-kinds.test.ts):
 *    three kinds of injected anomalies, ten each, through embedded mode, on several seeds, with a
 *    mild daily cycle (the test's), a strong one, and with refits (new model versions re-encode
 *    the stored codes). For each new anomaly with an earlier one of its kind: is the nearest
 *    earlier episode of the same kind (by the scorer's lookup; by the stored hashes alone), against
 *    a random choice among the earlier episodes.
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const progress = (line: string): void => void process.stderr.write(`[bench:similar] ${line}\n`);
const LATENT = 8;
const QUERIES = 256;

interface LookupRow {
  readonly stored: number;
  readonly bits: number;
  readonly lookupsPerSec: number;
  readonly usPerLookup: number;
  readonly nsPerStoredCode: number;
}

function lookups(stored: number, bits: number): LookupRow {
  const { k, candidates, hashSeed } = compileConfig({}).similar;
  const hasher = codeHasher({ size: LATENT, bits, seed: hashSeed, center: null });
  const rng = seededRng(stored + bits);
  const code = () => Array.from({ length: LATENT }, () => rng.normal());
  const index = new HashIndex<number>(bits / 32, LATENT);
  for (let i = 0; i < stored; i += 1) {
    const c = code();
    index.set(`e${i}`, hasher.hash(c), c, i, i);
  }
  const queries = Array.from({ length: QUERIES }, () => {
    const c = code();
    return { hash: hasher.hash(c), code: c };
  });
  // One repetition: QUERIES lookups, each of every stored code (as an opening episode's is).
  const timing = timeSync(() => {
    for (const q of queries) index.nearest(q.hash, q.code, { k, candidates, beforeMs: Infinity });
  }, { warmup: 3, minTimeMs: quick ? 300 : 1500, minReps: 5 });
  const usPerLookup = (timing.medianMs * 1000) / QUERIES;
  return { stored, bits, lookupsPerSec: 1e6 / usPerLookup, usPerLookup, nsPerStoredCode: (usPerLookup * 1000) / stored };
}

interface KindsRow {
  readonly variant: string;
  readonly seeds: readonly number[];
  readonly runs: readonly KindsEvaluation[];
}

async function kinds(variant: string, seeds: readonly number[], options: Partial<KindsStreamOptions>): Promise<KindsRow> {
  const runs: KindsEvaluation[] = [];
  for (const seed of seeds) {
    const dir = mkdtempSync(join(tmpdir(), 'hourglass-bench-similar-'));
    try {
      const started = Date.now();
      runs.push(await evaluateKinds(dir, { ...KINDS_DEFAULTS, perKind: 10, ...options, seed }));
      progress(`${variant}, seed ${seed}: ${runs.at(-1)!.accuracy.toFixed(3)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { variant, seeds, runs };
}

function pooled(runs: readonly KindsEvaluation[], pick: (r: KindsEvaluation) => number | null): string {
  if (runs.some((r) => pick(r) === null)) return 'n/a';
  const cases = runs.reduce((n, r) => n + r.cases, 0);
  const right = runs.reduce((n, r) => n + Math.round((pick(r) as number) * r.cases), 0);
  return `${right}/${cases} = ${((100 * right) / cases).toFixed(1)} %`;
}

async function main(): Promise<void> {
  const { info } = await initBackend({ requireNative: true });
  const env = environment(repoRoot());
  progress('lookups');
  const lookupRows = [...[1000, 10_000, 100_000].map((n) => lookups(n, 64)), lookups(100_000, 128), lookups(100_000, 256)];
  const lookupTable = markdownTable(
    ['stored codes', 'hash bits', 'lookups/s', 'µs/lookup', 'ns per stored code'],
    lookupRows.map((r) => [si(r.stored), String(r.bits), si(r.lookupsPerSec), r.usPerLookup.toFixed(1), r.nsPerStoredCode.toFixed(2)]),
    ['r', 'r', 'r', 'r', 'r'],
  );
  const seeds = quick ? [19] : [19, 7, 3, 11, 23];
  const variants = [
    await kinds('mild daily cycle (amplitude 0.3, noise 0.1; the test\'s)', seeds, {}),
    await kinds('strong daily cycle (amplitude 1, noise 0.1)', quick ? [19] : [19, 7, 3], { amplitude: 1 }),
    ...(quick ? [] : [await kinds('mild, refitted every 3,000 clean windows (stored codes re-encoded)', [19, 7, 3], { refitAfterWindows: 3000 })]),
  ];
  const kindsTable = markdownTable(
    ['stream', 'seeds', 'cases', 'nearest of the same kind: lookup', 'by stored hash alone', 'random choice', 'per seed (lookup)', 'final model version'],
    variants.map((v) => [
      v.variant, v.seeds.join(', '), String(v.runs.reduce((n, r) => n + r.cases, 0)),
      pooled(v.runs, (r) => r.accuracy), pooled(v.runs, (r) => r.hashAccuracy),
      `${((100 * v.runs.reduce((s, r) => s + r.baseline * r.cases, 0)) / v.runs.reduce((n, r) => n + r.cases, 0)).toFixed(1)} %`,
      v.runs.map((r) => r.accuracy.toFixed(2)).join(', '), v.runs.map((r) => r.modelVersions.join(' ')).join(', '),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'l', 'l'],
  );
  process.stdout.write(
    `Backend \`${info.name}\` (tfjs ${info.tfjsVersion}, TensorFlow ${info.tensorflowVersion ?? '?'}), Node ${env.node}, ${env.cpus} × ${env.cpuModel}, ` +
      `load ${env.loadAvg.join(' ')}, commit ${env.gitCommit ?? '?'}; one core (lookups are single-threaded JavaScript)\n\n${lookupTable}\n\n${kindsTable}\n`,
  );
  if (json) process.stdout.write(`${JSON.stringify({ environment: env, backend: info, lookups: lookupRows, kinds: variants.map((v) => ({ ...v, runs: v.runs.map((r) => ({ ...r, episodes: undefined })) })) })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
