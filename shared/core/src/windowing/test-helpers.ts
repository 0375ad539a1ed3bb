import fc from 'fast-check';
import { windowConfigSchema, type WindowConfig } from '../config/window-config';
import type { Window } from '../contracts/window';
import { SeriesWindow } from './series-window';

/** Test-only helpers shared by the windowing tests (not exported from the package). */

/** One generated observation: a grid step and its value, plus the offset it was "read" at. */
export interface Obs {
  readonly step: number;
  readonly value: number;
}

export const INTERVAL = 1000;

/** A window config with test-friendly defaults and a fixed interval. */
export function windowConfig(overrides: Partial<WindowConfig> = {}): WindowConfig {
  return windowConfigSchema.parse({ lengthSteps: 4, strideSteps: 1, intervalMs: INTERVAL, ...overrides });
}

/** Distinct increasing steps with gaps of 0..maxGap missing steps between them, each with a value. */
export function observations(maxGap: number, minLength = 1, maxLength = 80): fc.Arbitrary<Obs[]> {
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: maxGap }), fc.integer({ min: -1000, max: 1000 })), { minLength, maxLength })
    .map((pairs) => {
      let step = 100;
      return pairs.map(([gap, value]) => {
        step += 1 + gap;
        return { step, value };
      });
    });
}

/** Feeds observations in the given order to a fresh SeriesWindow; returns windows and outcomes. */
export function run(config: WindowConfig, order: readonly Obs[], offsets?: readonly number[]): { windows: Window[]; outcomes: string[] } {
  const state = new SeriesWindow('s', 'g', config, ['value']);
  const windows: Window[] = [];
  const outcomes: string[] = [];
  order.forEach((o, i) => {
    const result = state.offer(o.step * INTERVAL, [o.value], { source: 0, offset: offsets?.[i] ?? i }, 0);
    outcomes.push(result.outcome);
    windows.push(...result.windows);
  });
  return { windows, outcomes };
}

/** A window without its wall-clock field, for comparisons across runs. */
export function comparable(w: Window): object {
  return { series: w.series, group: w.group, startMs: w.startMs, endMs: w.endMs, intervalMs: w.intervalMs, channels: [...w.channels], values: [...w.values], mask: [...w.mask] };
}

/**
 * An arrival order in which every point is at most `latenessSteps` behind the newest step seen
 * before it: sort by step + a random delay in [0, latenessSteps].
 */
export function withinLateness(obs: readonly Obs[], latenessSteps: number): fc.Arbitrary<Obs[]> {
  return fc
    .array(fc.integer({ min: 0, max: latenessSteps }), { minLength: obs.length, maxLength: obs.length })
    .map((delays) => obs.map((o, i) => ({ o, key: o.step + delays[i]!, i })).sort((a, b) => a.key - b.key || a.i - b.i).map((x) => x.o));
}
