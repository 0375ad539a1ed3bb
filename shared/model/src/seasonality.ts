import { HourglassError, type ModelConfig, type Window } from '@hourglass/core';

/**
 * Seasonality beyond one window (docs/models.md, "Seasonality"). A window of W steps cannot tell a
 * Friday night from a Tuesday night. A model that knows the series' cycle can: at fit time it finds
 * the cycle in the training windows (autocorrelation of the series they were cut from) or takes it
 * from the config, learns the typical value at each phase of it (a profile), and from then on the
 * network sees, and reconstructs, every window relative to that profile. A Friday-night surge that
 * happens every Friday is then ordinary; the same surge on a Tuesday is a window far from its profile.
 */

/** The cycle a model removes from every window before the network sees it, frozen in its artifact. */
export interface Seasonality {
  /** The period in ms; null: no cycle (the profile is empty). */
  readonly periodMs: number | null;
  /** The autocorrelation at the period that chose it (null: named in the config, or no cycle). */
  readonly autocorrelation: number | null;
  /** Width of one phase bin, ms. */
  readonly binMs: number;
  /** Per channel, the typical normalised value in each phase bin (bin 0 starts at epoch 0, UTC). */
  readonly profile: readonly (readonly number[])[];
}

export const NO_SEASONALITY: Seasonality = { periodMs: null, autocorrelation: null, binMs: 1, profile: [] };

const DAY_MS = 86_400_000;
/** What `auto` looks for, the longest first: where a window sits in the week, else in the day. */
export const CANDIDATE_PERIODS_MS: readonly number[] = [7 * DAY_MS, DAY_MS];
/** A period is taken when the series at lag P correlates at least this much with itself… */
export const MIN_AUTOCORRELATION = 0.3;
/**
 * …and at least this much more than at lag P/2. A trend or a slow drift correlates at every lag; a
 * cycle of period P is out of phase at P/2. Without the contrast every trending series would get a
 * "daily cycle".
 */
export const MIN_HALF_PERIOD_CONTRAST = 0.2;
/** A period is looked for only when the training data spans at least this many of them. */
export const MIN_CYCLES = 2;
/** Most phase bins a profile has: a weekly cycle of one-minute data is binned by 5 minutes. */
export const MAX_BINS = 2016;

/** The profile's value for channel `ch` at event time `ms` (0 without a cycle). */
export function profileAt(s: Seasonality, ch: number, ms: number): number {
  if (s.periodMs === null) return 0;
  const values = s.profile[ch] as readonly number[];
  return values[binOf(ms, s.periodMs, s.binMs, values.length)] as number;
}

function binOf(ms: number, periodMs: number, binMs: number, bins: number): number {
  return Math.min(bins - 1, Math.floor((((ms % periodMs) + periodMs) % periodMs) / binMs));
}

/**
 * Decides a model's seasonality from its config and training windows (`normalise` maps a raw value
 * of channel ch into the network's units): `off` none; a number that period; `auto` the week, else
 * the day, when the data spans two of them and shows it. The profile is the cycle's shape: the
 * median of each phase bin of the values less their period's mean, pooled with neighbouring bins.
 */
export function fitSeasonality(config: ModelConfig['seasonality'], windows: readonly Window[], normalise: (ch: number, v: number) => number): Seasonality {
  const setting = config.periodMs;
  if (setting === 'off' || windows.length === 0) return NO_SEASONALITY;
  const series = seriesValues(windows);
  let periodMs: number | null = null;
  let autocorrelation: number | null = null;
  if (setting === 'auto') {
    for (const p of CANDIDATE_PERIODS_MS) {
      const r = periodAutocorrelation(series, p);
      if (r !== null && r.atPeriod >= MIN_AUTOCORRELATION && r.atPeriod - r.atHalf >= MIN_HALF_PERIOD_CONTRAST) {
        periodMs = p;
        autocorrelation = Math.round(r.atPeriod * 1000) / 1000;
        break;
      }
    }
  } else {
    periodMs = setting;
  }
  const first = series[0];
  if (periodMs === null || first === undefined) return NO_SEASONALITY;
  // One bin per step of the period where that is few enough, else a whole number of steps per bin.
  const binMs = first.intervalMs * Math.max(1, Math.ceil(periodMs / first.intervalMs / MAX_BINS));
  const bins = Math.max(1, Math.ceil(periodMs / binMs));
  const period = periodMs;
  const samples = Array.from({ length: (windows[0] as Window).channels.length }, () => Array.from({ length: bins }, () => [] as number[]));
  const lag = Math.round(period / first.intervalMs);
  for (const one of series) {
    one.channels.forEach((values, ch) => {
      // The cycle alone: each value less the mean of the period centred on it, so that the profile
      // holds the shape of the cycle and not the level the series had while training (a trend or a
      // shift would otherwise be baked into every later window's distance from the profile).
      const level = centredMean(values, lag);
      values.forEach((v, t) => {
        const m = level[t] as number;
        if (Number.isFinite(v) && Number.isFinite(m)) (samples[ch] as number[][])[binOf(one.firstMs + t * one.intervalMs, period, binMs, bins)]!.push(normalise(ch, v) - normalise(ch, m));
      });
    });
  }
  // Two or three cycles of data give one to three values per bin: pool ±k neighbours.
  const k = Math.max(1, Math.round(bins / 96));
  const profile = samples.map((perBin) => {
    const raw = perBin.map((_, b) => {
      const pooled: number[] = [];
      for (let d = -k; d <= k; d += 1) pooled.push(...(perBin[(b + d + bins) % bins] as number[]));
      return pooled.length === 0 ? 0 : median(pooled);
    });
    // Centred on 0, so the profile moves no window's level, only its shape.
    const mean = raw.reduce((a, v) => a + v, 0) / raw.length;
    return raw.map((v) => Math.round((v - mean) * 1e6) / 1e6);
  });
  return { periodMs, autocorrelation, binMs, profile };
}

/**
 * The mean of the `period` values centred on each step (NaN-aware; NaN where the window does not
 * fit in the series or holds less than half its values observed).
 */
function centredMean(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  const before = Math.floor(period / 2);
  const after = period - 1 - before;
  let sum = 0;
  let count = 0;
  const addAt = (i: number, sign: 1 | -1) => {
    const v = values[i] as number;
    if (Number.isFinite(v)) {
      sum += sign * v;
      count += sign;
    }
  };
  for (let i = 0; i < Math.min(period, values.length); i += 1) addAt(i, 1);
  for (let t = before; t + after < values.length; t += 1) {
    if (t > before) {
      addAt(t - before - 1, -1);
      addAt(t + after, 1);
    }
    if (count * 2 >= period) out[t] = sum / count;
  }
  return out;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/**
 * The autocorrelation at lag `periodMs` and at half of it, pooled over the series and channels
 * (each centred on its own mean). Null when no series spans MIN_CYCLES periods or the lag is not a
 * whole number of at least 4 steps.
 */
export function periodAutocorrelation(seriesList: readonly SeriesValues[], periodMs: number): { atPeriod: number; atHalf: number } | null {
  const sums = { period: new PairSums(), half: new PairSums() };
  for (const series of seriesList) {
    const lag = periodMs / series.intervalMs;
    if (!Number.isInteger(lag) || lag < 4 || series.length < MIN_CYCLES * lag) continue;
    for (const values of series.channels) {
      sums.period.add(values, lag);
      sums.half.add(values, Math.round(lag / 2));
    }
  }
  const atPeriod = sums.period.correlation();
  const atHalf = sums.half.correlation();
  return atPeriod === null || atHalf === null ? null : { atPeriod, atHalf };
}

/** One series rebuilt on its grid of steps: per channel, NaN where no window saw the step. */
export interface SeriesValues {
  readonly intervalMs: number;
  readonly firstMs: number;
  readonly length: number;
  readonly channels: Float64Array[];
}

/** Each series rebuilt from every step of its windows (so a sampled clean buffer still covers most steps). */
export function seriesValues(windows: readonly Window[]): SeriesValues[] {
  const bySeries = new Map<string, Window[]>();
  for (const w of windows) {
    const list = bySeries.get(w.series);
    if (list) list.push(w);
    else bySeries.set(w.series, [w]);
  }
  const out: SeriesValues[] = [];
  for (const list of bySeries.values()) {
    const head = list[0] as Window;
    const intervalMs = head.intervalMs;
    if (!(intervalMs > 0) || list.some((w) => w.intervalMs !== intervalMs)) continue;
    let first = Infinity;
    let last = -Infinity;
    for (const w of list) {
      first = Math.min(first, w.startMs);
      last = Math.max(last, w.endMs);
    }
    const length = Math.floor((last - first) / intervalMs) + 1;
    if (length > 50_000_000) throw new HourglassError('MODEL_INPUT_INVALID', `series ${head.series} spans ${length} steps: too many to search for cycles`);
    const c = head.channels.length;
    const channels = Array.from({ length: c }, () => new Float64Array(length).fill(Number.NaN));
    for (const w of list) {
      const t0 = Math.round((w.startMs - first) / intervalMs);
      for (let k = 0; k < w.values.length; k += 1) {
        const v = w.values[k] as number;
        if (w.mask[k] === 1 && Number.isFinite(v)) (channels[k % c] as Float64Array)[t0 + Math.floor(k / c)] = v;
      }
    }
    out.push({ intervalMs, firstMs: first, length, channels });
  }
  return out;
}

/** Running sums for the Pearson correlation of the pairs (x[t], x[t + lag]), pooled over series. */
class PairSums {
  private n = 0;
  private sa = 0;
  private sb = 0;
  private saa = 0;
  private sbb = 0;
  private sab = 0;

  add(x: Float64Array, lag: number): void {
    // Centred per series, so that series of different levels pool into one correlation.
    let mean = 0;
    let count = 0;
    for (const v of x) {
      if (Number.isFinite(v)) {
        mean += v;
        count += 1;
      }
    }
    if (count === 0) return;
    mean /= count;
    for (let t = 0; t + lag < x.length; t += 1) {
      const a = (x[t] as number) - mean;
      const b = (x[t + lag] as number) - mean;
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      this.n += 1;
      this.sa += a;
      this.sb += b;
      this.saa += a * a;
      this.sbb += b * b;
      this.sab += a * b;
    }
  }

  correlation(): number | null {
    if (this.n < 10) return null;
    const cov = this.sab / this.n - (this.sa / this.n) * (this.sb / this.n);
    const va = this.saa / this.n - (this.sa / this.n) ** 2;
    const vb = this.sbb / this.n - (this.sb / this.n) ** 2;
    // A constant stretch has no correlation to speak of: no cycle.
    return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
  }
}


/** Problems of a manifest's seasonality (artifact validation), for a model of `channels` channels. */
export function validateSeasonality(s: unknown, channels: number): string[] {
  const v = s as Partial<Seasonality> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.profile)) return ['seasonality needs a profile list'];
  if (v.periodMs === null) return v.profile.length === 0 ? [] : ['seasonality without a period has no profile'];
  if (!Number.isInteger(v.periodMs) || !(Number(v.periodMs) > 0) || !Number.isInteger(v.binMs) || !(Number(v.binMs) > 0)) return ['seasonality periodMs and binMs must be positive integers'];
  const bins = Math.ceil(Number(v.periodMs) / Number(v.binMs));
  if (bins > MAX_BINS || v.profile.length !== channels || v.profile.some((p) => !Array.isArray(p) || p.length !== bins || p.some((x) => typeof x !== 'number' || !Number.isFinite(x)))) {
    return [`seasonality profile must have ${channels} lists of ${bins} finite numbers (at most ${MAX_BINS} bins)`];
  }
  if (v.autocorrelation !== null && !(typeof v.autocorrelation === 'number' && Number.isFinite(v.autocorrelation))) return ['seasonality autocorrelation must be a number or null'];
  return [];
}
