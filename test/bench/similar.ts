import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashIndex, codeHasher, compileConfig, seededRng } from '@hourglass/core';
import { initBackend } from '@hourglass/model';
import { KINDS_DEFAULTS, evaluateKinds, type KindsEvaluation, type KindsStreamOptions } from '@hourglass/pipeline/dist/codes/testing/kinds-stream';
import { repoRoot } from '../infra/paths';
import { environment, markdownTable, si, timeInterleaved } from './bench-util';

/**
 * `npm run bench:similar [-- --json] [--quick] [--lookups-only]`: what the similar-episode lookups
 * cost and how often they are right (docs/bench-similar.md).
 *
 * 1. Lookups per second with 1k, 10k and 100k stored codes of one group, HashIndex.nearest as the
 *    scorer calls it for an opening episode (the default latent size 8 and similar.hashBits 64,
 *    similar.k 3, similar.candidates 32; also 128 and 256 bits at 100k), against the plain scan of
 *    every code, timed round-robin, on Gaussian codes and on clustered ones (the multi-index's
 *    cost depends on how the codes crowd its buckets). Each query's k hits are compared with the
 *    scan's.
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
/** Only the lookups (no model, no stream): for profiles (`node --cpu-prof test/dist/bench/similar.js --lookups-only`). */
const lookupsOnly = args.includes('--lookups-only');
const progress = (line: string): void => void process.stderr.write(`[bench:similar] ${line}\n`);
const LATENT = 8;
const QUERIES = 512;

type CodeData = 'gaussian' | 'clustered';

interface LookupRow {
  readonly stored: number;
  readonly bits: number;
  readonly data: CodeData;
  /** The plain scan of every stored code (what a lookup was before the multi-index). */
  readonly scanPerSec: number;
  /** HashIndex.nearest as the scorer calls it: the scan below 8,192 codes, the multi-index from there. */
  readonly indexPerSec: number;
  readonly indexUsPerLookup: number;
  /** Of the index's lookups: answered by the multi-index, and fallen back to the scan. */
  readonly probedShare: number;
  readonly fallbackShare: number;
  /** Per multi-index lookup: buckets visited, slots met in them. */
  readonly buckets: number;
  readonly met: number;
  /** Queries whose k hits (ids, Hamming and code distances) are the scan's. */
  readonly identical: number;
  readonly queries: number;
}

/**
 * Codes of the default latent size. Gaussian: spread evenly over every direction (the hashes'
 * substrings spread over as many buckets as they can). Clustered: 24 kinds of episode, each a
 * centre with a spread of 0.15 around it, as a group's recurring anomalies would be: the buckets
 * near a cluster hold many codes, the worst case for the multi-index.
 */
function codeSource(data: CodeData, seed: number): () => number[] {
  const rng = seededRng(seed);
  const gaussian = () => Array.from({ length: LATENT }, () => rng.normal());
  if (data === 'gaussian') return gaussian;
  const centres = Array.from({ length: 24 }, gaussian);
  return () => centres[Math.floor(rng.next() * centres.length)]!.map((v) => v + 0.15 * rng.normal());
}

function lookups(stored: number, bits: number, data: CodeData): LookupRow {
  const { k, candidates, hashSeed } = compileConfig({}).similar;
  const hasher = codeHasher({ size: LATENT, bits, seed: hashSeed, center: null });
  const code = codeSource(data, stored + bits);
  const index = new HashIndex<number>(bits / 32, LATENT);
  const scan = new HashIndex<number>(bits / 32, LATENT, { multiIndexFrom: Infinity });
  for (let i = 0; i < stored; i += 1) {
    const c = code();
    const h = hasher.hash(c);
    index.set(`e${i}`, h, c, i, i);
    scan.set(`e${i}`, h, c, i, i);
  }
  const queries = Array.from({ length: QUERIES }, () => {
    const c = code();
    return { hash: hasher.hash(c), code: c };
  });
  const options = { k, candidates, beforeMs: Infinity };
  let identical = 0;
  for (const q of queries) {
    const a = index.nearest(q.hash, q.code, options);
    const b = scan.nearest(q.hash, q.code, options);
    if (a.length === b.length && a.every((h, i) => h.id === b[i]!.id && h.hamming === b[i]!.hamming && h.distance === b[i]!.distance)) identical += 1;
  }
  const before = { ...index.stats };
  // One repetition: QUERIES lookups, as an opening episode's; the two are timed round-robin so that a busy machine's slow phases hit both.
  const timing = timeInterleaved({
    scan: () => {
      for (const q of queries) scan.nearest(q.hash, q.code, options);
    },
    index: () => {
      for (const q of queries) index.nearest(q.hash, q.code, options);
    },
  }, { warmup: 3, minTimeMs: quick ? 300 : 1500, minReps: 5 });
  const after = index.stats;
  const looked = after.scans - before.scans + (after.probed - before.probed);
  const probed = after.probed - before.probed;
  const usPerLookup = (ms: number) => (ms * 1000) / QUERIES;
  return {
    stored, bits, data,
    scanPerSec: 1e6 / usPerLookup(timing.scan.medianMs),
    indexPerSec: 1e6 / usPerLookup(timing.index.medianMs),
    indexUsPerLookup: usPerLookup(timing.index.medianMs),
    probedShare: (probed - (after.fallbacks - before.fallbacks)) / looked,
    fallbackShare: (after.fallbacks - before.fallbacks) / looked,
    buckets: probed === 0 ? 0 : (after.buckets - before.buckets) / probed,
    met: probed === 0 ? 0 : (after.examined - before.examined) / probed,
    identical, queries: QUERIES,
  };
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
  const env = environment(repoRoot());
  progress('lookups');
  const lookupRows: LookupRow[] = [];
  for (const data of ['gaussian', 'clustered'] as const) {
    for (const [stored, bits] of [[1000, 64], [10_000, 64], [100_000, 64], [100_000, 128], [100_000, 256]] as const) {
      lookupRows.push(lookups(stored, bits, data));
      progress(`${data}, ${stored} codes, ${bits} bits: ${si(lookupRows.at(-1)!.indexPerSec)}/s`);
    }
  }
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const lookupTable = markdownTable(
    ['codes', 'stored codes', 'hash bits', 'scan: lookups/s', 'index: lookups/s', 'index: µs/lookup', 'speed-up', 'by multi-index / fell back', 'buckets, slots met per probe', 'top-k as the scan\'s'],
    lookupRows.map((r) => [
      r.data, si(r.stored), String(r.bits), si(r.scanPerSec), si(r.indexPerSec), r.indexUsPerLookup.toFixed(1), `${(r.indexPerSec / r.scanPerSec).toFixed(1)}×`,
      `${pct(r.probedShare)} / ${pct(r.fallbackShare)}`, r.probedShare + r.fallbackShare === 0 ? '–' : `${r.buckets.toFixed(0)}, ${r.met.toFixed(0)}`, `${r.identical}/${r.queries}`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  if (lookupsOnly) {
    process.stdout.write(`Node ${env.node}, ${env.cpus} × ${env.cpuModel}, load ${env.loadAvg.join(' ')}, commit ${env.gitCommit ?? '?'}; one core\n\n${lookupTable}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ environment: env, lookups: lookupRows })}\n`);
    return;
  }
  const { info } = await initBackend({ requireNative: true });
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
