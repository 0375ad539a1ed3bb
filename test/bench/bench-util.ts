// Shared helpers for the benchmarks under test/bench: timing with a warm-up and a median, the
// record of the machine and versions a figure was taken on, and markdown tables. No TensorFlow
// here: benches pass their own numbers in.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';

export interface TimingOptions {
  /** Calls made and thrown away before timing starts (at least 1). */
  readonly warmup?: number;
  /** Keep repeating until at least this much time has been measured... */
  readonly minTimeMs?: number;
  /** ...and at least this many repetitions... */
  readonly minReps?: number;
  /** ...but stop once this much time has been spent, even if the two above are not met. */
  readonly maxTimeMs?: number;
}

export interface Timing {
  /** Median duration of one call, in milliseconds. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly reps: number;
  /** Time spent in the timed repetitions (warm-up excluded). */
  readonly totalMs: number;
  /** True when maxTimeMs stopped the loop before minTimeMs and minReps were both reached. */
  readonly capped: boolean;
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function resolveOptions(o: TimingOptions): Required<TimingOptions> {
  return { warmup: Math.max(1, o.warmup ?? 2), minTimeMs: o.minTimeMs ?? 1000, minReps: o.minReps ?? 5, maxTimeMs: o.maxTimeMs ?? 10_000 };
}

function summarise(samples: number[], total: number, o: Required<TimingOptions>): Timing {
  return {
    medianMs: median(samples),
    minMs: Math.min(...samples),
    reps: samples.length,
    totalMs: total,
    capped: total < o.minTimeMs || samples.length < o.minReps,
  };
}

/** Times a synchronous call: warm-up, then repeat until min time and min reps (or the cap). */
export function timeSync(fn: () => void, options: TimingOptions = {}): Timing {
  const o = resolveOptions(options);
  for (let i = 0; i < o.warmup; i++) fn();
  const samples: number[] = [];
  let total = 0;
  while ((total < o.minTimeMs || samples.length < o.minReps) && (samples.length === 0 || total < o.maxTimeMs)) {
    const t0 = nowMs();
    fn();
    const dt = nowMs() - t0;
    samples.push(dt);
    total += dt;
  }
  return summarise(samples, total, o);
}

/** Same as timeSync for a call that returns a promise. */
export async function timeAsync(fn: () => Promise<unknown>, options: TimingOptions = {}): Promise<Timing> {
  const o = resolveOptions(options);
  for (let i = 0; i < o.warmup; i++) await fn();
  const samples: number[] = [];
  let total = 0;
  while ((total < o.minTimeMs || samples.length < o.minReps) && (samples.length === 0 || total < o.maxTimeMs)) {
    const t0 = nowMs();
    await fn();
    const dt = nowMs() - t0;
    samples.push(dt);
    total += dt;
  }
  return summarise(samples, total, o);
}

/**
 * Cost of one very cheap call in microseconds: times blocks of `perBlock` calls (median of blocks),
 * so that the clock's own cost does not dominate.
 */
export function microsPerCall(fn: () => void, perBlock = 500, options: TimingOptions = {}): number {
  const t = timeSync(() => {
    for (let i = 0; i < perBlock; i++) fn();
  }, { minTimeMs: 300, minReps: 5, maxTimeMs: 3000, ...options });
  return (t.medianMs * 1000) / perBlock;
}


export interface Environment {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpus: number;
  /** CPU flags that matter for TensorFlow's and XNNPACK's kernels. */
  readonly cpuFlags: string[];
  readonly totalMemGiB: number;
  readonly loadAvg: number[];
  readonly gitCommit: string | null;
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function gitCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** What every benchmark figure must be read against. */
export function environment(repoRoot: string): Environment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch} (${os.release()})`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    cpuFlags: cpuFlags(),
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    gitCommit: gitCommit(repoRoot),
  };
}

/** Threads of this process right now (Linux: /proc/self/task), or null elsewhere. */
export function processThreadCount(): number | null {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

/** A GitHub-flavoured markdown table; numbers should already be formatted. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(sep), ...rows.map(line)].join('\n');
}

/** 1234567 -> "1.23M", 45678 -> "45.7k", 123 -> "123". */
export function si(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

/**
 * Times several synchronous calls round-robin (one call of each per round), so that a slow phase
 * of a busy machine hits all of them alike. Each gets its own warm-up, median and cap.
 */
export function timeInterleaved<K extends string>(fns: Readonly<Record<K, () => void>>, options: TimingOptions = {}): Record<K, Timing> {
  const o = resolveOptions(options);
  const keys = Object.keys(fns) as K[];
  for (const k of keys) for (let i = 0; i < o.warmup; i++) fns[k]();
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const totals = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  const done = (k: K): boolean => (totals[k] >= o.minTimeMs && samples[k].length >= o.minReps) || (samples[k].length > 0 && totals[k] >= o.maxTimeMs);
  while (!keys.every(done)) {
    for (const k of keys) {
      if (done(k)) continue;
      const t0 = nowMs();
      fns[k]();
      const dt = nowMs() - t0;
      samples[k].push(dt);
      totals[k] += dt;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarise(samples[k], totals[k], o)])) as Record<K, Timing>;
}

/** Starts V8's sampling profiler in this process; the returned function stops it and gives the profile. */
export async function startProfiler(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async () => ((await post('Profiler.stop')) as { profile: object }).profile;
}
