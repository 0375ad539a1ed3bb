import { seededRng, type Rng } from '../random';

/** The kinds of anomaly the demo injects, each a classic failure an operator would want paged for. */
export type InjectedKind = 'spike' | 'level_shift' | 'stuck_sensor' | 'frequency_change' | 'decoupling' | 'dip';

/** One injected anomaly: the ground truth the demo is checked against. */
export interface InjectedAnomaly {
  readonly series: string;
  readonly kind: InjectedKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** One point in the input-topic shape (`value` for univariate, `values` for multivariate). */
export type DemoPoint =
  | { readonly series: string; readonly ts: number; readonly value: number }
  | { readonly series: string; readonly ts: number; readonly values: Readonly<Record<string, number>> };

export interface DemoOptions {
  readonly seed: number;
  /** Event time of the first point, epoch ms. */
  readonly startMs: number;
  /** Sampling interval of every series. */
  readonly intervalMs: number;
  /** Length of the stream in days of event time. */
  readonly days: number;
  /** Anomalies are injected only after this fraction of the stream, so the first fit sees normal data. */
  readonly cleanFraction: number;
}

export const DEMO_DEFAULTS: DemoOptions = { seed: 7, startMs: Date.UTC(2026, 0, 5), intervalMs: 5 * 60_000, days: 6, cleanFraction: 0.5 };

/** The generated stream: points in event-time order (all series interleaved) and the ground truth. */
export interface DemoStream {
  readonly points: readonly DemoPoint[];
  readonly truth: readonly InjectedAnomaly[];
  readonly series: readonly string[];
}

const DAY_MS = 86_400_000;

/**
 * A realistic multi-series stream: daily seasonality, trend and noise, with injected spikes, a
 * level shift, a stuck sensor, a frequency change, missing data, and a multivariate host whose
 * network channel decouples from its CPU and memory. Deterministic for a seed.
 */
export function generateDemoStream(options: Partial<DemoOptions> = {}): DemoStream {
  const o = { ...DEMO_DEFAULTS, ...options };
  const rng = seededRng(o.seed);
  const steps = Math.floor((o.days * DAY_MS) / o.intervalMs);
  const anomalyFrom = Math.floor(steps * o.cleanFraction);
  const span = steps - anomalyFrom;
  const at = (fraction: number): number => anomalyFrom + Math.floor(span * fraction);
  const truth: InjectedAnomaly[] = [];
  const mark = (series: string, kind: InjectedKind, from: number, to: number): void => {
    truth.push({ series, kind, startMs: o.startMs + from * o.intervalMs, endMs: o.startMs + to * o.intervalMs });
  };
  const phase = (t: number): number => (2 * Math.PI * ((t * o.intervalMs) % DAY_MS)) / DAY_MS;

  const generators: Record<string, (t: number) => number | null> = {
    'web.latency_ms': seriesWithSpikes(rng, mark, phase, [at(0.15), at(0.55), at(0.8)]),
    'db.connections': seriesWithLevelShift(rng, mark, phase, at(0.35), at(0.5), steps),
    'sensor.temperature': seriesWithStuckSensor(rng, mark, phase, at(0.6), at(0.72)),
    'queue.depth': seriesWithFrequencyChange(rng, mark, o.intervalMs, at(0.25), at(0.4)),
    'api.requests': seriesWithGapsAndDip(rng, mark, phase, at(0.1), at(0.9), anomalyFrom),
  };
  const host = hostWithDecoupling(rng, mark, phase, at(0.45), at(0.6));

  const points: DemoPoint[] = [];
  for (let t = 0; t < steps; t++) {
    const ts = o.startMs + t * o.intervalMs;
    for (const [series, value] of Object.entries(generators)) {
      const v = value(t);
      if (v !== null) points.push({ series, ts, value: round(v) });
    }
    points.push({ series: 'host-1', ts, values: host(t) });
  }
  return { points, truth, series: [...Object.keys(generators), 'host-1'] };
}

type Mark = (series: string, kind: InjectedKind, from: number, to: number) => void;

function seriesWithSpikes(rng: Rng, mark: Mark, phase: (t: number) => number, at: readonly number[]) {
  for (const t of at) mark('web.latency_ms', 'spike', t, t + 2);
  return (t: number): number => {
    const base = 120 + 40 * Math.sin(phase(t)) + 4 * rng.normal();
    return at.some((s) => t >= s && t < s + 3) ? base + 260 : base;
  };
}

function seriesWithLevelShift(rng: Rng, mark: Mark, phase: (t: number) => number, from: number, to: number, steps: number) {
  mark('db.connections', 'level_shift', from, to);
  return (t: number): number => {
    const trend = (30 * t) / steps;
    const shift = t >= from && t < to ? 70 : 0;
    return 200 + trend + 50 * Math.sin(phase(t) - 1) + shift + 5 * rng.normal();
  };
}

function seriesWithStuckSensor(rng: Rng, mark: Mark, phase: (t: number) => number, from: number, to: number) {
  mark('sensor.temperature', 'stuck_sensor', from, to);
  let stuckAt = 0;
  return (t: number): number => {
    const live = 21 + 3 * Math.sin(phase(t) - 2) + 0.3 * rng.normal();
    if (t === from) stuckAt = live;
    return t >= from && t < to ? stuckAt : live;
  };
}

function seriesWithFrequencyChange(rng: Rng, mark: Mark, intervalMs: number, from: number, to: number) {
  mark('queue.depth', 'frequency_change', from, to);
  const periodSteps = Math.round((2 * 3_600_000) / intervalMs); // a batch job every two hours
  return (t: number): number => {
    const period = t >= from && t < to ? periodSteps / 4 : periodSteps;
    return 50 + 30 * Math.sin((2 * Math.PI * t) / period) + 3 * rng.normal();
  };
}

function seriesWithGapsAndDip(rng: Rng, mark: Mark, phase: (t: number) => number, gapAt: number, dipAt: number, cleanUntil: number) {
  mark('api.requests', 'dip', dipAt, dipAt + 6);
  const earlyGap = Math.floor(cleanUntil / 3);
  return (t: number): number | null => {
    // Missing data: a short outage in the clean part and one in the monitored part. Not anomalies.
    if ((t >= earlyGap && t < earlyGap + 2) || (t >= gapAt && t < gapAt + 2)) return null;
    const base = 1000 + 400 * Math.sin(phase(t)) + 25 * rng.normal();
    return t >= dipAt && t < dipAt + 6 ? base * 0.35 : base;
  };
}

function hostWithDecoupling(rng: Rng, mark: Mark, phase: (t: number) => number, from: number, to: number) {
  mark('host-1', 'decoupling', from, to);
  return (t: number): Record<string, number> => {
    const load = 0.5 + 0.3 * Math.sin(phase(t)) + 0.03 * rng.normal();
    const cpu = 100 * load + 2 * rng.normal();
    const mem = 40 + 30 * load + 1 * rng.normal();
    // Network normally follows load; during the incident it drops to a flat trickle.
    const net = t >= from && t < to ? 15 + 2 * rng.normal() : 20 + 180 * load + 5 * rng.normal();
    return { cpu: round(cpu), mem: round(mem), net: round(net) };
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
