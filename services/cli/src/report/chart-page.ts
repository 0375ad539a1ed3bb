import { readFileSync } from 'node:fs';
import { CHART_SCRIPT } from './chart-script';

/** One series as a report charts it. Arrays are per row; `null` is a gap. */
export interface ChartSeries {
  /** Heading of the chart's section. */
  readonly title: string;
  /** A line of plain text under the heading. */
  readonly caption: string;
  /** The section's id, for links from elsewhere on the page. */
  readonly anchor?: string;
  readonly timesMs: readonly number[];
  readonly values: readonly (number | null)[];
  readonly valueLabel: string;
  /** Surprise log10(1/p) of the score at each row, in decades. */
  readonly surprise: readonly (number | null)[];
  /** Threshold lines on the surprise axis: a constant, or a value per row (a model's, which changes at refits). */
  readonly thresholds: readonly { readonly label: string; readonly values: number | readonly (number | null)[] }[];
  /** Shaded row ranges (inclusive): labelled windows, injected anomalies, the probation period. */
  readonly bands: readonly { readonly from: number; readonly to: number; readonly kind: 'window' | 'injected' | 'probation'; readonly label?: string }[];
  /** Rows marked on the values line (detections, opened episodes), and what the marks mean. */
  readonly marks: readonly number[];
  readonly markLabel: string;
  /** The expected-value band per row (docs/scorer.md): drawn as the expected line inside a shaded band, with the values outside it marked. */
  readonly expected?: { readonly expected: readonly (number | null)[]; readonly lower: readonly (number | null)[]; readonly upper: readonly (number | null)[] };
}

/** The surprise in decades of a threshold or score on the 1 - p scale; null where it is 1 or more (p = 0). */
export function surpriseOfScore(score: number): number | null {
  return Number.isFinite(score) && score < 1 ? Math.max(0, -Math.log10(1 - score)) : null;
}

/** The uPlot build and stylesheet, read from node_modules when a report is written (never copied into the repository). */
function uplotAssets(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/**
 * A self-contained HTML page (no external assets) with one interactive chart per series, drawn by
 * uPlot in the browser. `intro` and `after` are trusted HTML (the callers escape what they insert).
 */
export function chartPage(options: { title: string; intro: string; series: readonly ChartSeries[]; after?: string }): string {
  const { js, css } = uplotAssets();
  const data = { series: options.series.map((s, i) => encode(s, `chart-${i}`)) };
  const sections = options.series.map((s, i) =>
    `<section class="series"${s.anchor ? ` id="${esc(s.anchor)}"` : ''}><h3>${esc(s.title)}</h3><p class="meta">${esc(s.caption)}</p><div class="chart" id="chart-${i}"></div></section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)}</title>
<style>${css}</style>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 12px 0 24px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: bold; }
.series { margin: 22px 0; }
.series h3 { margin: 0 0 2px; font-size: 15px; }
.meta, .help { margin: 0 0 4px; font-size: 12px; color: #555; }
.chart { width: 100%; }
.u-legend { font-size: 12px; }
</style></head><body>
<h1>${esc(options.title)}</h1>
${options.intro}
<p class="help">Drag across a chart to zoom into a time range; double-click to zoom out. The legend shows the time (UTC) and the values under the pointer; pointers are linked across charts. The right axis is the surprise log<sub>10</sub>(1/p) of each window's score: 1 is a window as rare as one in ten normal ones, 3 one in a thousand.</p>
${sections.join('\n')}
${options.after ?? ''}
<script>${js}</script>
<script type="application/json" id="hourglass-chart-data">${jsonForScript(data)}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}

/**
 * The compact form the page script decodes: times as deltas in seconds (a regular series is one
 * repeated number), values rounded to what a chart shows, a per-row threshold as the rows where it
 * changes. A 20,000-row series stays a few hundred kilobytes.
 */
function encode(s: ChartSeries, id: string) {
  const seconds = s.timesMs.map((ms) => ms / 1000);
  const t = seconds.map((x, i) => round(i === 0 ? x : x - seconds[i - 1]!, 3));
  const thresholds = s.thresholds.map((th) => ({ label: th.label, steps: steps(typeof th.values === 'number' ? s.timesMs.map(() => th.values as number) : th.values) }));
  return {
    id, t, start: seconds[0] ?? 0, end: seconds[seconds.length - 1] ?? 0,
    v: s.values.map((v) => (v === null || !Number.isFinite(v) ? null : sig(v))),
    s: s.surprise.map((v) => (v === null || !Number.isFinite(v) ? null : round(v, 3))),
    thresholds, bands: s.bands, marks: s.marks, valueLabel: s.valueLabel, markLabel: s.markLabel,
    ...(s.expected ? { e: s.expected.expected.map(sigOrNull), lo: s.expected.lower.map(sigOrNull), hi: s.expected.upper.map(sigOrNull) } : {}),
  };
}

function steps(values: readonly (number | null)[]): [number, number | null][] {
  const out: [number, number | null][] = [];
  values.forEach((v, i) => {
    const x = v === null || !Number.isFinite(v) ? null : round(v, 3);
    if (out.length === 0 || out[out.length - 1]![1] !== x) out.push([i, x]);
  });
  return out;
}

/** JSON inside a <script> element: `<` is escaped so no text in the data can close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sigOrNull(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : sig(v);
}

function sig(x: number): number {
  return Number(x.toPrecision(7));
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
