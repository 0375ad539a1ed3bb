import { writeFile } from 'node:fs/promises';
import type { AnomalyEvent, DemoStream, Window } from '@hourglass/core';
import type { WindowScore } from '@hourglass/scorer';
import { seriesSvg, type SeriesPlot } from '../eval/report';

/** Collects what the demo report plots: every scored window's score and the model threshold. */
export class DemoScores {
  private readonly scores = new Map<string, Map<number, { score: number; threshold: number }>>();

  record(windows: readonly Window[], results: readonly WindowScore[], model: { readonly threshold: number }): void {
    windows.forEach((w, i) => {
      const bySeries = this.scores.get(w.series) ?? new Map<number, { score: number; threshold: number }>();
      bySeries.set(w.endMs, { score: results[i]!.score, threshold: model.threshold });
      this.scores.set(w.series, bySeries);
    });
  }

  of(series: string): ReadonlyMap<number, { score: number; threshold: number }> {
    return this.scores.get(series) ?? new Map();
  }
}

/**
 * One self-contained HTML page for the demo: per series, the values (the `net` channel for the
 * multivariate host), the calibrated score of the window ending at each point, the model
 * threshold, the injected anomalies (shaded) and the points where an episode opened.
 */
export async function writeDemoReport(path: string, demo: DemoStream, scores: DemoScores, events: readonly AnomalyEvent[], summary: string): Promise<void> {
  const sections = demo.series.map((series) => {
    const points = demo.points.filter((p) => p.series === series);
    const rowOf = new Map(points.map((p, i) => [p.ts, i]));
    const values = points.map((p) => ('value' in p ? p.value : p.values.net ?? Object.values(p.values)[0]!));
    const scored = scores.of(series);
    const plot: SeriesPlot = {
      key: series,
      values,
      scores: points.map((p) => scored.get(p.ts)?.score ?? 0),
      modelThreshold: points.map((p) => scored.get(p.ts)?.threshold ?? Number.NaN),
      windows: demo.truth.filter((a) => a.series === series).map((a) => ({ start: nearestRow(rowOf, a.startMs, points), end: nearestRow(rowOf, a.endMs, points) })),
      probation: 0,
      threshold: 2, // episodes, not a score threshold, are what the demo marks
    };
    const opens = events.filter((e) => e.series === series && e.state === 'open');
    const svg = seriesSvg(plot).replace('</svg>', opens.map((e) => openMarker(rowOf.get(Date.parse(e.windowEnd)) ?? 0, points.length, e)).join('') + '</svg>');
    return `<section><h3>${esc(series)}</h3><p>${opens.length} episode(s) opened; ${demo.truth.filter((a) => a.series === series).map((a) => a.kind.replace('_', ' ')).join(', ') || 'no'} injected.</p>${svg}</section>`;
  });
  await writeFile(path, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hourglass demo</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}section{margin:18px 0}h3{margin:4px 0}p{margin:2px 0 6px;color:#555}</style>
</head><body><h1>Hourglass demo</h1><p>${esc(summary)}</p>
<p>Blue: values. Purple: calibrated anomaly score of the window ending at each point. Dotted grey: the model's threshold. Yellow: injected anomalies. Red triangles: episodes opened.</p>
${sections.join('\n')}</body></html>
`);
}

function openMarker(row: number, n: number, e: AnomalyEvent): string {
  const x = 8 + (n <= 1 ? 0 : ((960 - 16) * row) / (n - 1));
  return `<polygon class="episode" points="${x.toFixed(1)},150 ${(x - 5).toFixed(1)},160 ${(x + 5).toFixed(1)},160" fill="#d62728"><title>episode opened at ${esc(e.windowEnd)} (severity ${e.severity.toFixed(0)})</title></polygon>`;
}

function nearestRow(rowOf: ReadonlyMap<number, number>, ts: number, points: readonly { ts: number }[]): number {
  const exact = rowOf.get(ts);
  if (exact !== undefined) return exact;
  const i = points.findIndex((p) => p.ts >= ts);
  return i < 0 ? points.length - 1 : i;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
