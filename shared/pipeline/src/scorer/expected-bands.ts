import { Counter, Gauge, type Registry } from 'prom-client';
import { describeError, type AnomalyEvent, type ExpectedBand, type Window } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import type { ModelProvider, ScoringModel } from './ports';
import type { SeriesScoreGauges } from './series-gauges';

export interface ExpectedBandsOptions {
  /** `scorer.bandCoverage`. */
  readonly coverage: number;
  /** `scorer.bandGauges`: export the band gauges for the series that get a score gauge. */
  readonly gauges: boolean;
  /** Whose selection (allowlist, top-K, hard cap) the band gauges follow. */
  readonly scoreGauges: SeriesScoreGauges;
  readonly registry: Registry;
  readonly log: Logger;
}

/**
 * The expected-value band for the scorer stage (docs/scorer.md, "The expected-value band"): on the
 * anomaly events it publishes, and as `hourglass_expected_value|lower|upper{series,group,channel}`
 * for the series that already have a score gauge. A band costs a network pass, so it is computed
 * only for those series' newest window of a batch and for windows that emit an event: a series
 * without a gauge costs one set lookup per batch, nothing per window. A band that cannot be
 * computed is left out (and logged); it never holds up an event.
 */
export class ExpectedBands {
  private readonly latest = new Map<string, ExpectedBand>();
  private readonly computed: Counter;

  constructor(private readonly options: ExpectedBandsOptions) {
    const registers = [options.registry];
    this.computed = new Counter({ name: 'hourglass_scorer_band_windows_total', help: 'Windows whose expected-value band was computed, by group and what for (event, gauge).', labelNames: ['group', 'for'], registers });
    if (!options.gauges) return;
    const latest = this.latest;
    const read = (field: 'actual' | 'expected' | 'lower' | 'upper') =>
      function collect(this: Gauge) {
        this.reset();
        for (const s of options.scoreGauges.selected()) {
          const band = latest.get(keyOf(s.group, s.series));
          for (const c of band?.channels ?? []) {
            const v = c[field];
            if (v !== null && Number.isFinite(v)) this.set({ series: s.series, group: s.group, channel: c.channel }, v);
          }
        }
      };
    const labelNames = ['series', 'group', 'channel'];
    new Gauge({ name: 'hourglass_actual_value', help: 'The newest scored value (data units), beside hourglass_expected_value, for the series with a score gauge; absent where it was missing.', labelNames, registers, collect: read('actual') });
    new Gauge({ name: 'hourglass_expected_value', help: 'What the model expected at the newest scored step (its reconstruction, data units), for the series with a score gauge.', labelNames, registers, collect: read('expected') });
    new Gauge({ name: 'hourglass_expected_lower', help: `Lower bound of the expected-value band (coverage ${options.coverage}), for the series with a score gauge.`, labelNames, registers, collect: read('lower') });
    new Gauge({ name: 'hourglass_expected_upper', help: `Upper bound of the expected-value band (coverage ${options.coverage}), for the series with a score gauge.`, labelNames, registers, collect: read('upper') });
  }

  /**
   * Which series' band gauges to refresh in this batch: the allowlisted ones, and those with a
   * score gauge now (one selection per group batch, taken before it is scored, so a series that
   * enters the top K gets its band from its next batch on). Null when band gauges are off.
   */
  gaugedNow(): { has(group: string, series: string): boolean } | null {
    if (!this.options.gauges) return null;
    const { scoreGauges } = this.options;
    const selected = new Set(scoreGauges.selected().map((s) => keyOf(s.group, s.series)));
    return { has: (group, series) => scoreGauges.allowlisted(series) || selected.has(keyOf(group, series)) };
  }

  /** Refreshes the band gauges from the newest windows of gauged series in a batch. */
  updateGauges(model: ScoringModel, group: string, newest: readonly Window[]): void {
    if (newest.length === 0) return;
    const bands = this.compute(model, group, newest, 'gauge');
    if (!bands) return;
    newest.forEach((w, i) => {
      const key = keyOf(group, w.series);
      this.latest.delete(key); // insertion order = recency, for the bound below
      this.latest.set(key, bands[i] as ExpectedBand);
    });
    // Bounded like the score gauges' memory: series that left the selection long ago go first.
    while (this.latest.size > 4 * Math.max(1, this.options.scoreGauges.capacity)) this.latest.delete(this.latest.keys().next().value as string);
  }

  /** The events with the band of their windows (`windows[i]` is event i's window). */
  onEvents(model: ScoringModel, events: readonly AnomalyEvent[], windows: readonly Window[]): AnomalyEvent[] {
    if (events.length === 0) return [...events];
    const bands = this.compute(model, model.group, windows, 'event');
    return bands ? events.map((e, i) => ({ ...e, band: bands[i] as ExpectedBand })) : [...events];
  }

  private compute(model: ScoringModel, group: string, windows: readonly Window[], purpose: 'event' | 'gauge'): ExpectedBand[] | null {
    if (!model.bands) return null;
    try {
      const bands = model.bands(windows, this.options.coverage);
      this.computed.inc({ group, for: purpose }, windows.length);
      return bands;
    } catch (error) {
      this.options.log.warn({ group, model: model.version, err: describeError(error) }, 'could not compute the expected-value band; left out');
      return null;
    }
  }
}

export function keyOf(group: string, series: string): string {
  return `${group}\u0000${series}`;
}

/**
 * A provider whose models also hand the band of every scored window to `observe` (`hourglass run
 * --band`): one extra network pass per batch, so only for a caller that asked for every band.
 */
export function observeBands(provider: ModelProvider, coverage: number, observe: (windows: readonly Window[], bands: readonly ExpectedBand[], model: { readonly version: string }) => void): ModelProvider {
  const wrapped = new WeakMap<ScoringModel, ScoringModel>();
  return {
    modelFor(group: string): ScoringModel | null {
      const model = provider.modelFor(group);
      if (model === null || !model.bands) return model;
      let view = wrapped.get(model);
      if (!view) {
        const bands = model.bands.bind(model);
        view = {
          group: model.group, version: model.version, threshold: model.threshold, steps: model.steps, bands,
          accepts: (w) => model.accepts(w),
          score: (windows) => {
            const scores = model.score(windows);
            if (windows.length > 0) observe(windows, bands(windows, coverage), model);
            return scores;
          },
          ...(model.encode ? { encode: (w: readonly Window[]) => model.encode!(w), codeCenter: model.codeCenter ?? null } : {}),
          dispose: () => model.dispose(),
        };
        wrapped.set(model, view);
      }
      return view;
    },
  };
}
