import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { EPISODE_DEFAULTS, decodeWindows, encodeWindow, encodeWindowBlock, type Window } from '@hourglass/core';
import { type AnomalyModel, fitModel, initBackend } from '@hourglass/model';
import { createLogger } from '@hourglass/runtime';
import { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink, ScorerStage, SeriesScoreGauges, createScorerMetrics, toScoringModel, type ScoringModel } from '@hourglass/pipeline';
import { LegacyScorerStage, legacyScoringModel } from '@hourglass/pipeline/dist/scorer/testing/legacy-stage';
import { repoRoot } from '../infra/paths';
import { cleanValue, isSpike, trainingWindows, uniformRng, type SpikySine } from '../support/spiky-sine';
import { environment, markdownTable, nowMs, si, startProfiler } from './bench-util';
import { legacyDecodeWindow } from './legacy-decode';

/**
 * `npm run bench:scorer [-- --json] [--windows N] [--path old|new]`: the scorer's CPU per window,
 * without the network. The windows topic's bytes (format 1, one message per window, for the old
 * path; format 2, one block per series per batch, for today's) of SERIES series with staggered
 * spikes are decoded and run through ScorerStage with the real model adapter (the default W = 64
 * undercomplete model, fitted up front) and in-memory sinks, batch by batch as the micro-batcher
 * hands them over (scorer.batchMaxWindows). The path before issue 17 (a frozen copy of its decode,
 * stage and adapter) and today's run the same batches alternately in one process, so a busy phase
 * of the machine hits both alike; the ratio is the figure to quote. `--path old|new --cpu-profile FILE`
 * runs one of them alone and writes a V8 CPU profile of the scoring loop only (not of the fit);
 * test/bench/profile-shares.ts turns it into shares.
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const WINDOWS = Number(option('--windows') ?? 120_000);
const only = option('--path') as 'old' | 'new' | undefined;
const profileFile = option('--cpu-profile');
const SERIES = 256;
const W = 64;
const BATCH = 2048;
const GROUP = 'bench';
const SINE: SpikySine = { steps: W, spikeEverySteps: 150, group: GROUP, intervalMs: 1000, baseMs: Date.UTC(2024, 0, 1) };
const progress = (line: string): void => void process.stderr.write(`[bench:scorer] ${line}\n`);

/** The stream's windows, step-major (every series' window of a step, then the next step). */
function windowStream(): Window[] {
  const steps = Math.ceil(WINDOWS / SERIES) + W - 1;
  const rngs = Array.from({ length: SERIES }, (_, s) => uniformRng(1000 + s));
  const values = Array.from({ length: SERIES }, (_, s) => Float32Array.from({ length: steps }, (_, t) => cleanValue(rngs[s]!, s, t) + (isSpike(SINE, s, t) ? 8 : 0)));
  const out: Window[] = [];
  for (let end = W - 1; end < steps && out.length < WINDOWS; end++) {
    for (let s = 0; s < SERIES && out.length < WINDOWS; s++) {
      const startMs = SINE.baseMs + (end - W + 1) * SINE.intervalMs;
      out.push({
        formatVersion: 1, series: `s${s}`, group: GROUP, startMs, endMs: startMs + (W - 1) * SINE.intervalMs, intervalMs: SINE.intervalMs,
        channels: ['value'], values: values[s]!.slice(end - W + 1, end + 1), mask: new Uint8Array(W).fill(1), ingestedAtMs: 0,
      });
    }
  }
  return out;
}

/**
 * One batch's windows as the windows topic carries them: for the old path one format-1 message
 * per window; for today's, one format-2 block per series (what ingest writes: each series' run of
 * the batch), built from the same windows.
 */
function encodeBatch(windows: readonly Window[], format: 1 | 2): Buffer[] {
  if (format === 1) return windows.map(encodeWindow);
  const bySeries = new Map<string, Window[]>();
  for (const w of windows) bySeries.set(w.series, [...(bySeries.get(w.series) ?? []), w]);
  return [...bySeries.values()].map((run) => {
    const values = new Float32Array(W + run.length - 1);
    values.set(run[0]!.values);
    run.forEach((w, i) => (values[W - 1 + i] = w.values[W - 1]!));
    return encodeWindowBlock({
      series: run[0]!.series, group: GROUP, channels: ['value'], lengthSteps: W, strideSteps: 1, intervalMs: SINE.intervalMs, startMs: run[0]!.startMs,
      windows: run.length, values, mask: new Uint8Array(values.length).fill(1), ingestedAtMs: new Float64Array(run.length),
    });
  });
}

interface Path {
  readonly name: 'old' | 'new';
  /** The batch's windows-topic messages (format 1 for old, 2 for new) and their decoder. */
  readonly format: 1 | 2;
  readonly decode: (messages: readonly Buffer[]) => Window[];
  readonly process: (windows: readonly Window[]) => Promise<unknown>;
  readonly events: InMemoryEventSink;
  readonly clean: InMemoryCleanBuffer;
  ms: number;
}

function path(name: 'old' | 'new', model: AnomalyModel): Path {
  const registry = new Registry();
  const scoring: ScoringModel = name === 'old' ? legacyScoringModel(model, GROUP, 'v1') : toScoringModel(model, GROUP, 'v1');
  const events = new InMemoryEventSink();
  // The buffer keeps its newest windows only, as the Redis stream's MAXLEN does.
  const clean = new InMemoryCleanBuffer(50_000);
  const options = {
    models: { modelFor: () => scoring }, events, clean, episodes: new InMemoryEpisodeStore(), policyFor: () => EPISODE_DEFAULTS,
    warmupWindows: 2000, cleanSampleRate: 1, maxTrackedSeries: 100_000, metrics: createScorerMetrics(registry),
    seriesGauges: new SeriesScoreGauges(registry, { allowlist: [], topK: 20, hardCap: 50, trackedMax: 10_000 }), log: createLogger({ level: 'silent' }),
  };
  const stage = name === 'old' ? new LegacyScorerStage(options) : new ScorerStage(options);
  return { name, format: name === 'old' ? 1 : 2, decode: name === 'old' ? (m) => m.map(legacyDecodeWindow) : (m) => m.flatMap(decodeWindows), process: (w) => stage.process(w), events, clean, ms: 0 };
}

async function main(): Promise<void> {
  const { info } = await initBackend({ requireNative: true });
  progress(`backend ${info.name}; fitting the model`);
  const model = await fitModel({ epochs: 5, seed: 1 }, trainingWindows(SINE, 4000, SERIES));
  const windows = windowStream();
  const paths = (only ? [only] : ['old', 'new'] as const).map((name) => path(name, model));
  // Encoded up front: the scorer's CPU starts at the bytes the consumer hands it.
  const batches: Record<1 | 2, Buffer[][]> = { 1: [], 2: [] };
  for (let start = 0; start < windows.length; start += BATCH) for (const f of [1, 2] as const) batches[f].push(encodeBatch(windows.slice(start, start + BATCH), f));
  const stream = { length: windows.length };
  progress(`${stream.length} windows of ${SERIES} series, batches of ${BATCH} (${batches[1][0]!.length} format-1 messages or ${batches[2][0]!.length} format-2 blocks each)`);
  const profiler = profileFile ? await startProfiler() : undefined;
  for (let round = 0; round < batches[1].length; round++) {
    // Alternate which path goes first, so neither always finds the caches the other left.
    for (const p of round % 2 === 0 ? paths : [...paths].reverse()) {
      const t0 = nowMs();
      await p.process(p.decode(batches[p.format][round]!));
      p.ms += nowMs() - t0;
    }
  }
  if (profiler && profileFile) writeFileSync(profileFile, JSON.stringify(await profiler()));
  const opens = (p: Path) => p.events.events.filter((e) => e.state === 'open').length;
  const rows = paths.map((p) => ({ path: p.name, usPerWindow: (p.ms * 1000) / stream.length, windowsPerSec: stream.length / (p.ms / 1000), events: p.events.events.length, opens: opens(p) }));
  const old = rows.find((r) => r.path === 'old');
  const env = environment(repoRoot());
  const versions = { backend: info.name, tfjs: info.tfjsVersion, tensorflow: info.tensorflowVersion, promClient: packageVersion('prom-client') };
  const table = markdownTable(
    ['path', 'µs/window', 'windows/s', 'x old', 'events (open)'],
    rows.map((r) => [r.path === 'old' ? 'before issue 17 (frozen copy)' : 'lean (today)', r.usPerWindow.toFixed(2), si(r.windowsPerSec), old ? (old.usPerWindow / r.usPerWindow).toFixed(2) : '-', `${r.events} (${r.opens})`]),
    ['l', 'r', 'r', 'r', 'r'],
  );
  process.stdout.write(
    `Backend \`${info.name}\` (tfjs ${info.tfjsVersion}, TensorFlow ${info.tensorflowVersion ?? '?'}), prom-client ${versions.promClient}, Node ${env.node}, ` +
      `${env.cpus} × ${env.cpuModel}, load ${env.loadAvg.join(' ')}, commit ${env.gitCommit ?? '?'}; ${stream.length} windows, W = ${W}, ${SERIES} series, batches of ${BATCH}\n\n${table}\n`,
  );
  if (json) process.stdout.write(`${JSON.stringify({ environment: env, versions, windows: stream.length, batch: BATCH, rows })}\n`);
  model.dispose();
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(dirname(require.resolve(name)), 'package.json'), 'utf8')) as { version: string }).version;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
