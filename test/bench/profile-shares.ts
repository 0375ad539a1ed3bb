import { readFileSync } from 'node:fs';
import { markdownTable } from './bench-util';

/**
 * `node test/dist/bench/profile-shares.js [--ingest] PROFILE.cpuprofile`: where a profiled run of bench:scorer
 * (`--cpu-profile FILE`; with --ingest: of ingest-core.js or of bench:ingest under `node --cpu-prof`) spent its CPU, as shares of the samples in named buckets. A sample belongs to the
 * innermost frame that names a bucket (so Array.prototype.sort inside explain counts as explain,
 * and a native TensorFlow call as the op that made it). Idle time is left out.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds on the monotonic clock, and the gap before each sample. */
  readonly startTime: number;
  readonly timeDeltas: readonly number[];
}

type Bucket = readonly [string, (fn: string, url: string) => boolean];

/** Scorer buckets (bench:scorer). First match wins: [bucket, test on function name and script url]. */
const SCORER_BUCKETS: readonly Bucket[] = [
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  ['tf.tidy walking returned values', (fn, url) => /tfjs-core/.test(url) && /walkTensorContainer|getTensorsInContainer|isIterable|tidy/.test(fn)],
  ['explanations', (fn, url) => /explain|legacy-score/.test(url) && /xplain|top/.test(fn)],
  ['normalise into the batch matrix (prepare)', (fn, url) => /model\/dist\/data\.js/.test(url)],
  ['TensorFlow: scoring forward pass, uploads, downloads', (_, url) => /tfjs-node|tfjs-core|tfjs-backend|\/models\/|scoring\.js|training\.js|legacy-score/.test(url)],
  ['clean buffer: encode windows and pack', (fn, url) => /clean-pack/.test(url) || (/window-codec/.test(url) && /^(encode|writeWindow|windowLayout)/.test(fn))],
  ['decode', (_, url) => /window-codec|block-codec|legacy-decode/.test(url)],
  ['event ids and sampling hashes (crypto)', (fn, url) => /anomaly-event\.js/.test(url) || /internal\/crypto/.test(url)],
  ['metrics (prom-client, score gauges)', (_, url) => /prom-client|series-gauges|batch-histogram/.test(url)],
  ['episode tracking', (_, url) => /episode-tracker/.test(url)],
  ['calibration', (_, url) => /calibration/.test(url)],
  ['expected bands, codes, maintenance', (_, url) => /expected-bands|maintenance|codes|episode-code/.test(url)],
  ['stage bookkeeping', (_, url) => /scorer-stage|legacy-stage|model-adapter|in-memory/.test(url)],
  ['benchmark driver', (_, url) => /bench\/scorer\.js/.test(url)],
  // The service under bench:pipeline --scorer-cpu-prof: what bench:scorer does not have.
  ['Redis: client (ioredis) and the stores (checkpoints)', (_, url) => /ioredis|redis-parser|\/redis\/dist/.test(url)],
  ['kafkajs fetch, decode, commit, produce', (_, url) => /kafkajs/.test(url)],
  ['consumer loop and micro-batcher', (_, url) => /scorer\/dist\/service|micro-batcher|runtime\/dist/.test(url)],
];

/** Ingest buckets (ingest-core.js, or bench:ingest under --cpu-prof, where kafkajs' own work shows). */
const INGEST_BUCKETS: readonly Bucket[] = [
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  ['parse JSON points', (fn, url) => /parse-point|timestamp\.js/.test(url) || fn === 'parse'],
  ['encode windows (codec)', (_, url) => /window-codec|block-codec/.test(url)],
  ['per-series state and windowing', (_, url) => /series-window|windower|slot-pool|group-matcher|interval\.js/.test(url)],
  ['kafkajs produce (record encoding, compression, requests)', (_, url) => /kafkajs\/src\/(producer|protocol\/recordBatch|protocol\/messageSet|protocol\/requests\/produce|protocol\/encoder)/.test(url)],
  ['kafkajs fetch and decode', (_, url) => /kafkajs\/src\/(consumer|protocol\/requests\/fetch|protocol\/decoder)/.test(url)],
  ['kafkajs other (network, broker, cluster)', (_, url) => /kafkajs/.test(url)],
  ['dead letters', (_, url) => /dead-letter/.test(url)],
  ['batch step and consumer bookkeeping', (_, url) => /pipeline\/dist\/ingest|ingest\/dist\/consumer/.test(url)],
  ['metrics (prom-client)', (_, url) => /prom-client/.test(url)],
  ['benchmark driver', (_, url) => /bench\/(ingest|ingest-core)\.js/.test(url)],
];

const BUCKETS = process.argv.includes('--ingest') ? INGEST_BUCKETS : SCORER_BUCKETS;

function bucketOf(node: ProfileNode): string | null {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)') return 'idle';
  for (const [name, test] of BUCKETS) if (test(functionName, url)) return name;
  return null;
}

/** `--span FILE` (bench:pipeline's phase-a.json): only the samples taken between its fromUs and toUs. */
function inSpan(profile: Profile): (k: number) => boolean {
  const i = process.argv.indexOf('--span');
  if (i < 0) return () => true;
  const { fromUs, toUs } = JSON.parse(readFileSync(process.argv[i + 1]!, 'utf8')) as { fromUs: number; toUs: number };
  const at: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) at.push((t += d));
  return (k) => (at[k] as number) >= fromUs && (at[k] as number) <= toUs;
}

function main(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const keep = inSpan(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const own = bucketOf(byId.get(id)!);
    const up = parent.get(id);
    const bucket = own ?? (up === undefined ? 'other (Node internals, program)' : resolve(up));
    memo.set(id, bucket);
    return bucket;
  };
  // The scorer's network passes, split by what asked for them: the model method they run under.
  const passOf = (id: number): string | null => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at)!.callFrame;
      if (!/model\/dist\/model\.js/.test(url)) continue;
      if (functionName === 'explainRows') return 'TensorFlow: explanation passes (event windows)';
      if (functionName === 'bands') return 'TensorFlow: expected-band passes';
      if (functionName === 'encode') return 'TensorFlow: episode-code passes';
    }
    return null;
  };
  const bucketOfSample = (id: number): string => {
    const bucket = resolve(id);
    return BUCKETS === SCORER_BUCKETS && bucket.startsWith('TensorFlow') ? (passOf(id) ?? bucket) : bucket;
  };
  const counts = new Map<string, number>();
  profile.samples.forEach((id, k) => {
    if (keep(k)) counts.set(bucketOfSample(id), (counts.get(bucketOfSample(id)) ?? 0) + 1);
  });
  const idle = counts.get('idle') ?? 0;
  counts.delete('idle');
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const meanUs = profile.timeDeltas.length > 0 ? (profile.timeDeltas.reduce((a, b) => a + b, 0) / profile.timeDeltas.length) : 0;
  process.stderr.write(`${total} busy samples (${idle} idle), about ${((total * meanUs) / 1e6).toFixed(2)} s busy\n`);
  const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => [`${((100 * n) / total).toFixed(1)} %`, name]);
  process.stdout.write(`${markdownTable(['share of CPU', 'what'], rows, ['r', 'l'])}\n`);
}

main(process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--span') ?? '');
