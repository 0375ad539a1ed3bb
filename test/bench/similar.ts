import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
 *    scan's (the lookup is bounded by similar.probeLimit, so it may differ): identical lists,
 *    recall of the scan's k, and for clustered codes whether the nearest is of the query's cluster.
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
  /** Of the index's lookups: answered by the multi-index, fallen back to the scan, and cut short by similar.probeLimit. */
  readonly probedShare: number;
  readonly fallbackShare: number;
  readonly cutShare: number;
  /** Per multi-index lookup: buckets visited, slots met in them. */
  readonly buckets: number;
  readonly met: number;
  /** Queries whose k hits (ids, Hamming and code distances) are the scan's. */
  readonly identical: number;
  /** Of the scan's k hits, over all queries: the share the index returned too. */
  readonly recall: number;
  /** Clustered codes: queries whose nearest hit is of the query's own cluster, by the index and by the scan; null for Gaussian codes. */
  readonly sameCluster: { readonly index: number; readonly scan: number } | null;
  readonly queries: number;
}

/**
 * Codes of the default latent size. Gaussian: spread evenly over every direction (the hashes'
 * substrings spread over as many buckets as they can). Clustered: 24 kinds of episode, each a
 * centre with a spread of 0.15 around it, as a group's recurring anomalies would be: the buckets
 * near a cluster hold many codes, the worst case for the multi-index. `cluster`: the code's kind
 * (−1 for Gaussian codes).
 */
function codeSource(data: CodeData, seed: number): () => { code: number[]; cluster: number } {
  const rng = seededRng(seed);
  const gaussian = () => Array.from({ length: LATENT }, () => rng.normal());
  if (data === 'gaussian') return () => ({ code: gaussian(), cluster: -1 });
  const centres = Array.from({ length: 24 }, gaussian);
  return () => {
    const cluster = Math.floor(rng.next() * centres.length);
    return { code: centres[cluster]!.map((v) => v + 0.15 * rng.normal()), cluster };
  };
}

function lookups(stored: number, bits: number, data: CodeData): LookupRow {
  const { k, candidates, hashSeed, probeLimit } = compileConfig({}).similar;
  const hasher = codeHasher({ size: LATENT, bits, seed: hashSeed, center: null });
  const code = codeSource(data, stored + bits);
  // As the scorer builds a group's index (similar.probeLimit), and the plain scan.
  const index = new HashIndex<number>(bits / 32, LATENT, { probeLimit });
  const scan = new HashIndex<number>(bits / 32, LATENT, { multiIndexFrom: Infinity });
  const clusterOf: number[] = [];
  for (let i = 0; i < stored; i += 1) {
    const { code: c, cluster } = code();
    const h = hasher.hash(c);
    index.set(`e${i}`, h, c, i, i);
    scan.set(`e${i}`, h, c, i, i);
    clusterOf.push(cluster);
  }
  const queries = Array.from({ length: QUERIES }, () => {
    const { code: c, cluster } = code();
    return { hash: hasher.hash(c), code: c, cluster };
  });
  const options = { k, candidates, beforeMs: Infinity };
  let identical = 0;
  let found = 0;
  let wanted = 0;
  const same = { index: 0, scan: 0 };
  const cutBefore = index.stats.cut;
  for (const q of queries) {
    const a = index.nearest(q.hash, q.code, options);
    const b = scan.nearest(q.hash, q.code, options);
    if (a.length === b.length && a.every((h, i) => h.id === b[i]!.id && h.hamming === b[i]!.hamming && h.distance === b[i]!.distance)) identical += 1;
    const ids = new Set(a.map((h) => h.id));
    found += b.filter((h) => ids.has(h.id)).length;
    wanted += b.length;
    if (a[0] && clusterOf[a[0].item] === q.cluster) same.index += 1;
    if (b[0] && clusterOf[b[0].item] === q.cluster) same.scan += 1;
  }
  const cut = index.stats.cut - cutBefore;
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
    cutShare: cut / QUERIES,
    buckets: probed === 0 ? 0 : (after.buckets - before.buckets) / probed,
    met: probed === 0 ? 0 : (after.examined - before.examined) / probed,
    identical, recall: wanted === 0 ? 1 : found / wanted,
    sameCluster: data === 'clustered' ? same : null,
    queries: QUERIES,
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
    ['codes', 'stored codes', 'hash bits', 'scan: lookups/s', 'index: lookups/s', 'index: µs/lookup', 'speed-up', 'by multi-index / fell back / cut short', 'buckets, slots met per probe', 'top-k as the scan\'s', 'recall of the scan\'s k', 'nearest of its cluster: index, scan'],
    lookupRows.map((r) => [
      r.data, si(r.stored), String(r.bits), si(r.scanPerSec), si(r.indexPerSec), r.indexUsPerLookup.toFixed(1), `${(r.indexPerSec / r.scanPerSec).toFixed(1)}×`,
      `${pct(r.probedShare)} / ${pct(r.fallbackShare)} / ${pct(r.cutShare)}`, r.probedShare + r.fallbackShare === 0 ? '–' : `${r.buckets.toFixed(0)}, ${r.met.toFixed(0)}`, `${r.identical}/${r.queries}`,
      `${(100 * r.recall).toFixed(1)} %`, r.sameCluster ? `${r.sameCluster.index}, ${r.sameCluster.scan}` : '–',
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  // Flat or not: lookups/s at 10k over those at 100k codes (64 bits), from this one run.
  const flatness = (['gaussian', 'clustered'] as const).map((data) => {
    const at = (stored: number) => lookupRows.find((r) => r.data === data && r.stored === stored && r.bits === 64)!;
    return `${data}: index ${(at(10_000).indexPerSec / at(100_000).indexPerSec).toFixed(2)}×, scan ${(at(10_000).scanPerSec / at(100_000).scanPerSec).toFixed(2)}×`;
  });
  const flatLine = `10k → 100k codes at 64 bits, lookups/s at 10k ÷ at 100k (1.00× is flat): ${flatness.join('; ')}. similar.probeLimit ${compileConfig({}).similar.probeLimit}; load average after the lookups ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`;
  if (lookupsOnly) {
    process.stdout.write(`Node ${env.node}, ${env.cpus} × ${env.cpuModel}, load ${env.loadAvg.join(' ')}, commit ${env.gitCommit ?? '?'}; one core\n\n${lookupTable}\n\n${flatLine}\n`);
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
      `load ${env.loadAvg.join(' ')}, commit ${env.gitCommit ?? '?'}; one core (lookups are single-threaded JavaScript)\n\n${lookupTable}\n\n${flatLine}\n\n${kindsTable}\n`,
  );
  if (json) process.stdout.write(`${JSON.stringify({ environment: env, backend: info, lookups: lookupRows, kinds: variants.map((v) => ({ ...v, runs: v.runs.map((r) => ({ ...r, episodes: undefined })) })) })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
