import { writeFile } from 'node:fs/promises';
import type { AnomalyEvent, DemoStream, ExpectedBand, Window } from '@hourglass/core';
import type { WindowScore } from '@hourglass/pipeline';
import { chartPage, esc, surpriseOfScore, type ChartSeries } from '../report/chart-page';

/** Collects what the demo report plots: every scored window's surprise and the model threshold. */
export class DemoScores {
  private readonly scores = new Map<string, Map<number, { surprise: number; threshold: number }>>();

  record(windows: readonly Window[], results: readonly WindowScore[], model: { readonly threshold: number }): void {
    windows.forEach((w, i) => {
      const bySeries = this.scores.get(w.series) ?? new Map<number, { surprise: number; threshold: number }>();
      bySeries.set(w.endMs, { surprise: results[i]!.surprise, threshold: model.threshold });
      this.scores.set(w.series, bySeries);
    });
  }

  of(series: string): ReadonlyMap<number, { surprise: number; threshold: number }> {
    return this.scores.get(series) ?? new Map();
  }

  private readonly bands = new Map<string, Map<number, ExpectedBand>>();

  /** Keeps each scored window's expected-value band (its newest step), for the report's band. */
  recordBands(windows: readonly Window[], bands: readonly ExpectedBand[]): void {
    windows.forEach((w, i) => {
      const bySeries = this.bands.get(w.series) ?? new Map<number, ExpectedBand>();
      bySeries.set(w.endMs, bands[i]!);
      this.bands.set(w.series, bySeries);
    });
  }

  bandsOf(series: string): ReadonlyMap<number, ExpectedBand> {
    return this.bands.get(series) ?? new Map();
  }
}

/**
 * One self-contained HTML page for the demo: per series, an interactive chart of the values (the
 * `net` channel for the multivariate host) with the injected anomalies shaded and the points where
 * an episode opened marked, and the surprise of the window ending at each point with the model's
 * threshold.
 */
export async function writeDemoReport(path: string, demo: DemoStream, scores: DemoScores, events: readonly AnomalyEvent[], summary: string): Promise<void> {
  await writeFile(path, demoReportHtml(demo, scores, events, summary));
}

/** The page writeDemoReport writes. */
export function demoReportHtml(demo: DemoStream, scores: DemoScores, events: readonly AnomalyEvent[], summary: string): string {
  const series = demo.series.map((id): ChartSeries => {
    const points = demo.points.filter((p) => p.series === id);
    const rowOf = new Map(points.map((p, i) => [p.ts, i]));
    const scored = scores.of(id);
    const truth = demo.truth.filter((a) => a.series === id);
    const opens = events.filter((e) => e.series === id && e.state === 'open');
    const multivariate = points.some((p) => !('value' in p));
    return {
      title: id,
      caption: `${opens.length} episode(s) opened; ${truth.map((a) => a.kind.replace('_', ' ')).join(', ') || 'no anomaly'} injected.`,
      timesMs: points.map((p) => p.ts),
      values: points.map((p) => ('value' in p ? p.value : p.values.net ?? Object.values(p.values)[0]!)),
      valueLabel: multivariate ? 'net (one of its channels)' : 'value',
      surprise: points.map((p) => scored.get(p.ts)?.surprise ?? null),
      thresholds: [{ label: 'model threshold', values: points.map((p) => { const s = scored.get(p.ts); return s ? surpriseOfScore(s.threshold) : null; }) }],
      bands: truth.map((a) => ({ from: nearestRow(rowOf, a.startMs, points), to: nearestRow(rowOf, a.endMs, points), kind: 'injected' as const, label: a.kind.replace('_', ' ') })),
      marks: opens.map((e) => nearestRow(rowOf, Date.parse(e.windowEnd), points)),
      markLabel: 'episode opened',
      expected: bandRows(points.map((p) => p.ts), scores.bandsOf(id), multivariate ? 'net' : 'value'),
    };
  });
  const intro = `<p>${esc(summary)}</p>
<p class="help">Blue: values. Green, dashed: the value the model expected, inside its band (shaded green: ${BAND_HELP}); orange dots: values outside the band. Purple: surprise of the window ending at each point. Dashed red: the model's threshold. Shaded yellow: injected anomalies. Red dots: episodes opened.</p>`;
  return chartPage({ title: 'Hourglass demo', intro, series });
}

const BAND_HELP = 'the range that held the configured share (scorer.bandCoverage) of normal values when the model was fitted';

/** The band of one channel per row (null before the first model, and where a row ended no scored window). */
function bandRows(times: readonly number[], bands: ReadonlyMap<number, ExpectedBand>, channel: string): ChartSeries['expected'] {
  const at = (ts: number) => bands.get(ts)?.channels.find((c) => c.channel === channel) ?? null;
  return {
    expected: times.map((ts) => at(ts)?.expected ?? null),
    lower: times.map((ts) => at(ts)?.lower ?? null),
    upper: times.map((ts) => at(ts)?.upper ?? null),
  };
}

function nearestRow(rowOf: ReadonlyMap<number, number>, ts: number, points: readonly { ts: number }[]): number {
  const exact = rowOf.get(ts);
  if (exact !== undefined) return exact;
  const i = points.findIndex((p) => p.ts >= ts);
  return i < 0 ? points.length - 1 : i;
}
