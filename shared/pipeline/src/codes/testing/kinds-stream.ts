import { join } from 'node:path';
import { Registry } from 'prom-client';
import { compileConfig, hammingDistance, hexToHash, seededRng, type AnomalyEvent, type EpisodeCode, type Point } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { DiskCodeStore } from '../../embedded/disk-code-store';
import { EmbeddedPipeline } from '../../embedded/pipeline';

/**
 * A generated stream with three kinds of injected anomalies, each several times, and the
 * evaluation of the similar-episode lookups on it (issue 19: "for a new anomaly, the nearest past
 * one by hash is of the same kind"). Test and benchmark support (not exported by the package).
 */

/** The kinds injected: one point far up; the level down for a while; a burst at four times the frequency. */
export type AnomalyKind = 'spike' | 'dip' | 'oscillation';
export const KINDS: readonly AnomalyKind[] = ['spike', 'dip', 'oscillation'];

export interface Injection {
  readonly series: string;
  readonly kind: AnomalyKind;
  readonly startMs: number;
  readonly endMs: number;
}

export interface KindsStreamOptions {
  readonly seed: number;
  readonly series: number;
  /** Anomalies of each kind. */
  readonly perKind: number;
  /** Clean steps before the first anomaly (the first model is fitted on them). */
  readonly cleanSteps: number;
  /** Steps between two anomalies (of any series). */
  readonly gapSteps: number;
  /** Amplitude of the daily-like cycle (period 48 steps) and standard deviation of the noise. */
  readonly amplitude: number;
  readonly noise: number;
  /** Refit after this many new clean windows (a new model version re-encodes the stored codes); 0: one model for the whole stream. */
  readonly refitAfterWindows: number;
}

export const KINDS_DEFAULTS: KindsStreamOptions = { seed: 19, series: 6, perKind: 8, cleanSteps: 900, gapSteps: 60, amplitude: 0.3, noise: 0.1, refitAfterWindows: 0 };

const INTERVAL_MS = 60_000;
const START_MS = Date.UTC(2026, 10, 1);
const PERIOD = 48;
export const WINDOW_STEPS = 32;

/** Points of every series in event-time order, and where each anomaly was injected. */
export function kindsStream(options: KindsStreamOptions = KINDS_DEFAULTS): { points: Point[]; injections: Injection[] } {
  const rng = seededRng(options.seed);
  const names = Array.from({ length: options.series }, (_, i) => `m-${i + 1}`);
  const phase = names.map(() => rng.next() * PERIOD);
  // Like series of one group (say, one metric of a fleet): one level, one amplitude, their own phase.
  const level = names.map(() => 10);
  // Kinds in a shuffled order, each on a random series, gapSteps apart.
  const order = KINDS.flatMap((kind) => Array.from({ length: options.perKind }, () => kind));
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const injections: (Injection & { step: number; length: number; s: number })[] = order.map((kind, k) => {
    const step = options.cleanSteps + k * options.gapSteps;
    const s = Math.floor(rng.next() * names.length);
    const length = kind === 'spike' ? 1 : kind === 'dip' ? 12 : 16;
    return { series: names[s]!, s, kind, step, length, startMs: START_MS + step * INTERVAL_MS, endMs: START_MS + (step + length - 1) * INTERVAL_MS };
  });
  const steps = options.cleanSteps + order.length * options.gapSteps + 2 * WINDOW_STEPS;
  const points: Point[] = [];
  for (let t = 0; t < steps; t += 1) {
    names.forEach((series, s) => {
      const cycle = options.amplitude * Math.sin((2 * Math.PI * (t + phase[s]!)) / PERIOD);
      let v = level[s]! + cycle + options.noise * rng.normal();
      for (const inj of injections) {
        if (inj.s !== s || t < inj.step || t >= inj.step + inj.length) continue;
        if (inj.kind === 'spike') v += 6;
        else if (inj.kind === 'dip') v -= 2.5;
        else v += -cycle + Math.sin((2 * Math.PI * 4 * (t - inj.step)) / PERIOD);
      }
      points.push({ series, timestampMs: START_MS + t * INTERVAL_MS, channels: ['value'], values: [v] });
    });
  }
  return { points, injections: injections.map(({ series, kind, startMs, endMs }) => ({ series, kind, startMs, endMs })) };
}

/** One opened episode, what it was, and what its lookups named as nearest. */
export interface EvaluatedEpisode {
  readonly episodeId: string;
  readonly series: string;
  readonly openedAt: string;
  /** The injected kind it found; null for an episode where nothing was injected. */
  readonly kind: AnomalyKind | null;
  /** Kind of the first of its stored `similar` (Hamming shortlist, then code distance). */
  readonly nearest: AnomalyKind | null | undefined;
  /** Kind of the earlier episode with the nearest hash alone (ties: the nearer code). */
  readonly nearestByHash: AnomalyKind | null | undefined;
  /** Share of the earlier episodes of its kind: what a random choice among them gets right. */
  readonly chance: number;
}

export interface KindsEvaluation {
  readonly injected: number;
  readonly episodes: readonly EvaluatedEpisode[];
  /** Episodes of a kind, with at least one earlier episode of that kind: the cases that count. */
  readonly cases: number;
  /** Share of the cases whose nearest earlier episode is of the same kind: by the scorer's lookup, by the stored hashes alone, by a random choice (expected). */
  readonly accuracy: number;
  /** Null when the stored codes come from more than one model version (refits), whose hashes do not compare. */
  readonly hashAccuracy: number | null;
  readonly baseline: number;
  readonly modelVersions: readonly string[];
}

/** Runs the stream through embedded mode (scorer, trainer, codes) and scores the lookups against the injected kinds. */
export async function evaluateKinds(dir: string, options: KindsStreamOptions = KINDS_DEFAULTS): Promise<KindsEvaluation> {
  const { points, injections } = kindsStream(options);
  const config = compileConfig({
    scorer: { warmupWindows: 6000, batchMaxWindows: 256 },
    trainer: { minWindows: 3000, refitAfterNewWindows: options.refitAfterWindows || 1_000_000, refitIntervalMs: 365 * 86_400_000, retryAfterMissMs: 0 },
    similar: { k: 3 },
    groups: [{
      name: 'm', match: { glob: 'm-*' }, window: { lengthSteps: WINDOW_STEPS, intervalMs: INTERVAL_MS },
      episodes: { openAfterWindows: 2, closeAfterWindows: 3, ongoingIntervalMs: 0 },
      model: { layers: [24], latentSize: 6, epochs: 40, batchSize: 128, seed: 3 },
    }],
  });
  const events: AnomalyEvent[] = [];
  const pipeline = new EmbeddedPipeline({
    config, modelsDir: join(dir, 'models'), codesDir: join(dir, 'codes'), registry: new Registry(), log: createLogger({ level: 'silent' }), onEvent: (e) => events.push(e),
  });
  await pipeline.start();
  for (const point of points) await pipeline.offer(point, 0);
  const versions = Object.values(await pipeline.finish()).filter((v): v is string => v !== null);
  const records = new Map<string, EpisodeCode>();
  for (const r of (await new DiskCodeStore(join(dir, 'codes'), config.similar.maxCodesPerGroup).read('m', null)).records) records.set(r.episodeId, r);
  const windowMs = WINDOW_STEPS * INTERVAL_MS;
  const kindOf = (series: string, openedMs: number): AnomalyKind | null =>
    injections.find((inj) => inj.series === series && openedMs >= inj.startMs && openedMs <= inj.endMs + windowMs)?.kind ?? null;
  const opened = events.filter((e) => e.state === 'open').map((e) => ({ e, kind: kindOf(e.series, Date.parse(e.windowEnd)) }));
  const kindById = new Map(opened.map(({ e, kind }) => [e.id, kind]));
  const evaluated: EvaluatedEpisode[] = opened.map(({ e, kind }) => {
    const record = records.get(e.id);
    const openedMs = Date.parse(e.windowEnd);
    const earlier = opened.filter((o) => Date.parse(o.e.windowEnd) < openedMs);
    const first = record?.similar?.[0];
    let byHash: { kind: AnomalyKind | null; d: number; code: number } | undefined;
    for (const o of earlier) {
      const other = records.get(o.e.id);
      if (!record || !other || other.modelVersion !== record.modelVersion) continue;
      const d = hammingDistance(hexToHash(record.hash), hexToHash(other.hash));
      const code = Math.hypot(...record.code.map((v, j) => v - (other.code[j] ?? 0)));
      if (!byHash || d < byHash.d || (d === byHash.d && code < byHash.code)) byHash = { kind: o.kind, d, code };
    }
    return {
      episodeId: e.id, series: e.series, openedAt: e.windowEnd, kind,
      nearest: first ? (kindById.get(first.episodeId) ?? null) : undefined,
      nearestByHash: byHash?.kind,
      chance: earlier.length === 0 ? 0 : earlier.filter((o) => o.kind === kind).length / earlier.length,
    };
  });
  const cases = evaluated.filter((e) => e.kind !== null && opened.some((o) => o.kind === e.kind && Date.parse(o.e.windowEnd) < Date.parse(e.openedAt)));
  const share = (f: (e: EvaluatedEpisode) => boolean) => (cases.length === 0 ? 0 : cases.filter(f).length / cases.length);
  // Stored hashes compare only within one model version: with refits, the scorer's lookups (re-encoded) are the measure.
  const oneVersion = new Set([...records.values()].map((r) => `${r.modelVersion}\u0000${r.hashVersion}`)).size === 1;
  return {
    injected: injections.length, episodes: evaluated, cases: cases.length,
    accuracy: share((e) => e.nearest === e.kind), hashAccuracy: oneVersion ? share((e) => e.nearestByHash === e.kind) : null,
    baseline: cases.length === 0 ? 0 : cases.reduce((s, e) => s + e.chance, 0) / cases.length, modelVersions: versions,
  };
}
