import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileConfig, Windower } from '@hourglass/core';
import { processBatch } from '@hourglass/pipeline';
import { nowMs, startProfiler } from './bench-util';

/**
 * Ingest without Kafka: the pure batch step (parse, window, encode) on points held in memory, and
 * the heap that live series state costs. bench:ingest prints both beside its Kafka figures;
 * `node test/dist/bench/ingest-core.js [--points N] [--cpu-profile FILE] [--live-series N]` runs
 * them alone, and profile-shares.js --ingest turns the profile into shares.
 */

const BASE_MS = Date.UTC(2024, 0, 1);
const BATCH = 500;

/**
 * One group matching every series with W = 64 (the measure; the shipped default is 16), S = 1,
 * interval inferred; ingest's block-collecting windower, as bench:ingest runs it.
 */
export function benchWindower(maxLiveSeries: number, blocks = true): { windower: Windower; parse: ReturnType<typeof compileConfig>['ingest']['parse'] } {
  const config = compileConfig({ ingest: { maxLiveSeries }, groups: [{ name: 'default', match: { glob: '*' }, window: { lengthSteps: 64 } }] });
  return { windower: new Windower({ groups: config.groups, maxLiveSeries, seriesIdleTimeoutMs: config.ingest.seriesIdleTimeoutMs, blocks }), parse: config.ingest.parse };
}

/** The JSON points of bench:ingest: `series` keyed points, 1 s apart, step-major over `series` series. */
export function benchPoints(points: number, series: number): { key: Buffer; value: Buffer; offset: string }[] {
  const out: { key: Buffer; value: Buffer; offset: string }[] = [];
  for (let i = 0; i < points; i++) {
    const step = Math.floor(i / series);
    const s = i % series;
    out.push({ key: Buffer.from(`s${s}`), value: Buffer.from(JSON.stringify({ series: `s${s}`, ts: BASE_MS + step * 1000, value: Math.sin(step / 10) + s })), offset: String(i) });
  }
  return out;
}

export interface PureIngestResult {
  readonly points: number;
  readonly pointsPerSecond: number;
  readonly usPerPoint: number;
  readonly windows: number;
  readonly windowMessages: number;
  readonly windowBytes: number;
}

/**
 * Runs processBatch over the points in batches of 500, as one partition would see them; with
 * `blocks` false, the window-object path (one format-1 message per window, as before issue 17).
 */
export function pureIngest(messages: ReturnType<typeof benchPoints>, blocks = true): PureIngestResult {
  const { windower, parse } = benchWindower(100_000, blocks);
  let windows = 0;
  let windowMessages = 0;
  let windowBytes = 0;
  const start = nowMs();
  for (let at = 0; at < messages.length; at += BATCH) {
    const out = processBatch({ topic: 'in', partition: 0, source: 0, messages: messages.slice(at, at + BATCH) }, windower, parse, Date.now());
    windows += out.windows;
    windowMessages += out.windowMessages.length;
    for (const m of out.windowMessages) windowBytes += (m.value as Buffer).length;
  }
  const ms = nowMs() - start;
  return { points: messages.length, pointsPerSecond: messages.length / (ms / 1000), usPerPoint: (ms * 1000) / messages.length, windows, windowMessages, windowBytes };
}

/**
 * Heap (V8 heap plus array buffers) per live series once `series` series each hold a full window
 * (W + 2 points at W = 64, one channel), measured after a full GC before and after.
 */
export function stateBytesPerSeries(series: number): number {
  const gc = exposeGc();
  const { windower, parse } = benchWindower(series + 1);
  const steps = 66;
  const used = (): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  for (let step = 0; step < steps; step++) {
    const batch = [];
    for (let s = 0; s < series; s++) batch.push({ key: null, value: Buffer.from(`{"series":"s${s}","ts":${BASE_MS + step * 1000},"value":${(step % 7) + s}}`), offset: String(step * series + s) });
    processBatch({ topic: 'in', partition: 0, source: 0, messages: batch }, windower, parse, Date.now());
  }
  const after = used();
  if (windower.liveSeries !== series) throw new Error(`expected ${series} live series, have ${windower.liveSeries}`);
  return (after - before) / series;
}

/** `global.gc` without --expose-gc on the command line. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const points = Number(option('--points')) || 200_000;
  const profileFile = option('--cpu-profile');
  const messages = benchPoints(points, 100);
  pureIngest(messages.slice(0, 20_000)); // warm-up
  const profiler = profileFile ? await startProfiler() : undefined;
  const pure = pureIngest(messages);
  if (profiler && profileFile) writeFileSync(profileFile, JSON.stringify(await profiler()));
  const perWindow = pureIngest(messages, false);
  const live = Number(option('--live-series')) || 100_000;
  const bytes = stateBytesPerSeries(live);
  process.stdout.write(`${JSON.stringify({ pure, perWindow, stateBytesPerSeries: Math.round(bytes), liveSeries: live })}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`ingest-core failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
