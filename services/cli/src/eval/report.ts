import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILE_NAMES, readNabResultFile } from '@hourglass/eval';
import { Raster, type Rgb } from './png';

export interface ReportWritten {
  readonly html: string;
  readonly pngs: readonly string[];
}

/** One series as the report draws it. */
export interface SeriesPlot {
  readonly key: string;
  readonly values: readonly number[];
  /** NAB anomaly_score (post-processed). */
  readonly scores: readonly number[];
  /** The model's threshold per row (on the anomaly_score scale), NaN before a model. */
  readonly modelThreshold: readonly number[];
  /** Labelled windows as inclusive row ranges. */
  readonly windows: readonly { start: number; end: number }[];
  readonly probation: number;
  /** The NAB (standard profile) threshold: rows at or above it are detections. */
  readonly threshold: number;
}

const WIDTH = 960;
const HEIGHT = 280;
const LEFT = 8;
const RIGHT = WIDTH - 8;
const VALUE_TOP = 10;
const VALUE_BOTTOM = 140;
const SCORE_TOP = 160;
const SCORE_BOTTOM = 270;

const COLORS = { value: '#1f4e99', score: '#6a3d9a', threshold: '#d62728', model: '#7f7f7f', window: '#f2c14e', probation: '#dddddd', detection: '#d62728' };

/** Geometry shared by the SVG and the PNG, so both show the same plot. */
function geometry(p: SeriesPlot) {
  const n = p.values.length;
  const finite = p.values.filter((v) => Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi > lo ? hi - lo : 1;
  const x = (i: number) => LEFT + (n <= 1 ? 0 : ((RIGHT - LEFT) * i) / (n - 1));
  const yValue = (v: number) => VALUE_BOTTOM - ((v - lo) / span) * (VALUE_BOTTOM - VALUE_TOP);
  const yScore = (s: number) => SCORE_BOTTOM - Math.min(1, Math.max(0, s)) * (SCORE_BOTTOM - SCORE_TOP);
  /** Min/max per pixel column, so a long series keeps its spikes. */
  const envelope = (ys: readonly number[], y: (v: number) => number): [number, number][] => {
    const cols = new Map<number, [number, number]>();
    ys.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const c = Math.round(x(i));
      const e = cols.get(c);
      if (e) {
        e[0] = Math.min(e[0], v);
        e[1] = Math.max(e[1], v);
      } else cols.set(c, [v, v]);
    });
    const out: [number, number][] = [];
    for (const [c, [a, b]] of [...cols].sort((u, w) => u[0] - w[0])) {
      out.push([c, y(a)]);
      if (b !== a) out.push([c, y(b)]);
    }
    return out;
  };
  const detections = p.scores.flatMap((s, i) => (i >= p.probation && s >= p.threshold ? [i] : []));
  return { n, lo, hi, x, yValue, yScore, values: envelope(p.values, yValue), scores: envelope(p.scores, yScore), model: envelope(p.modelThreshold, yScore), detections };
}

/** The inline SVG of one series: values on top, score below, windows shaded, detections marked. */
export function seriesSvg(p: SeriesPlot): string {
  const g = geometry(p);
  const pts = (list: [number, number][]) => list.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ');
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="series-plot" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(p.key)}">`];
  parts.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  parts.push(`<rect class="probation" x="${LEFT}" y="${VALUE_TOP}" width="${(g.x(p.probation) - LEFT).toFixed(1)}" height="${SCORE_BOTTOM - VALUE_TOP}" fill="${COLORS.probation}" opacity="0.5"><title>probation</title></rect>`);
  for (const w of p.windows) {
    parts.push(`<rect class="label-window" x="${g.x(w.start).toFixed(1)}" y="${VALUE_TOP}" width="${Math.max(1, g.x(w.end) - g.x(w.start)).toFixed(1)}" height="${SCORE_BOTTOM - VALUE_TOP}" fill="${COLORS.window}" opacity="0.35"><title>labelled window rows ${w.start}-${w.end}</title></rect>`);
  }
  parts.push(`<line x1="${LEFT}" x2="${RIGHT}" y1="${SCORE_BOTTOM}" y2="${SCORE_BOTTOM}" stroke="#999" stroke-width="0.5"/>`);
  parts.push(`<polyline class="values" fill="none" stroke="${COLORS.value}" stroke-width="1" points="${pts(g.values)}"/>`);
  if (g.model.length > 0) parts.push(`<polyline class="model-threshold" fill="none" stroke="${COLORS.model}" stroke-width="1" stroke-dasharray="2,2" points="${pts(g.model)}"><title>model threshold</title></polyline>`);
  parts.push(`<polyline class="scores" fill="none" stroke="${COLORS.score}" stroke-width="1" points="${pts(g.scores)}"/>`);
  if (p.threshold <= 1) parts.push(`<line class="threshold" x1="${LEFT}" x2="${RIGHT}" y1="${g.yScore(p.threshold).toFixed(1)}" y2="${g.yScore(p.threshold).toFixed(1)}" stroke="${COLORS.threshold}" stroke-width="1" stroke-dasharray="6,3"><title>NAB threshold ${p.threshold}</title></line>`);
  for (const i of g.detections) parts.push(`<circle class="detection" cx="${g.x(i).toFixed(1)}" cy="${g.yValue(p.values[i]!).toFixed(1)}" r="3" fill="${COLORS.detection}"><title>detection at row ${i}</title></circle>`);
  parts.push(`<text x="${LEFT + 4}" y="${VALUE_TOP + 12}" font-size="11" fill="#333">value (${fmt(g.lo)} to ${fmt(g.hi)})</text>`);
  parts.push(`<text x="${LEFT + 4}" y="${SCORE_TOP + 10}" font-size="11" fill="#333">anomaly score (0 to 1)</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** The same plot as a PNG (pure TypeScript raster). */
export function seriesPng(p: SeriesPlot): Buffer {
  const g = geometry(p);
  const r = new Raster(WIDTH, HEIGHT);
  r.fillRect(LEFT, VALUE_TOP, g.x(p.probation), SCORE_BOTTOM, rgb(COLORS.probation), 0.5);
  for (const w of p.windows) r.fillRect(g.x(w.start), VALUE_TOP, Math.max(g.x(w.start) + 1, g.x(w.end)), SCORE_BOTTOM, rgb(COLORS.window), 0.35);
  r.line(LEFT, SCORE_BOTTOM, RIGHT, SCORE_BOTTOM, [153, 153, 153]);
  r.polyline(g.values, rgb(COLORS.value));
  r.polyline(g.model, rgb(COLORS.model));
  r.polyline(g.scores, rgb(COLORS.score));
  if (p.threshold <= 1) {
    const y = g.yScore(p.threshold);
    for (let x = LEFT; x < RIGHT; x += 9) r.line(x, y, Math.min(RIGHT, x + 6), y, rgb(COLORS.threshold));
  }
  for (const i of g.detections) r.fillRect(g.x(i) - 2, g.yValue(p.values[i]!) - 2, g.x(i) + 2, g.yValue(p.values[i]!) + 2, rgb(COLORS.detection));
  return r.toPng();
}

interface Summary {
  detector: string;
  files: number;
  thresholds: Record<string, number>;
  raw: Record<string, number>;
  seconds?: number;
  runner?: unknown;
  perFile?: { key: string; rows: number; seconds: number; fits: Record<string, number>; scores: Record<string, { raw: number; null: number; perfect: number; windows: number; detectedWindows: number; fp: number } | null> }[];
  [profile: string]: unknown;
}

/** Writes `report.html` (self-contained: inline SVG and CSS, no external assets) and one PNG per series. */
export async function writeNabReport(options: { resultsDir: string; detector: string; outDir?: string }): Promise<ReportWritten> {
  const detectorDir = join(options.resultsDir, options.detector);
  const summaryFile = join(detectorDir, 'summary.json');
  if (!existsSync(summaryFile)) throw new Error(`${summaryFile} not found: give the --out directory of an \`hourglass eval nab\` run`);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  const outDir = options.outDir ?? join(detectorDir, 'report');
  await mkdir(join(outDir, 'png'), { recursive: true });
  const threshold = summary.thresholds.standard ?? 1.1;

  const sections: string[] = [];
  const pngs: string[] = [];
  const categories = (await readdir(detectorDir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'report').map((d) => d.name).sort();
  for (const cat of categories) {
    const files = (await readdir(join(detectorDir, cat))).filter((f) => f.endsWith('.csv')).sort();
    for (const f of files) {
      const csv = join(detectorDir, cat, f);
      const table = await readNabResultFile(csv);
      const key = `${cat}/${f.slice(options.detector.length + 1)}`;
      const detailFile = csv.replace(/\.csv$/, '.detail.json');
      const detail = existsSync(detailFile) ? (JSON.parse(await readFile(detailFile, 'utf8')) as { probation: number; threshold: (number | null)[] }) : null;
      const labels = table.columns.get('label') ?? [];
      const windows: { start: number; end: number }[] = [];
      labels.forEach((l, i) => {
        if (l !== '1') return;
        const last = windows[windows.length - 1];
        if (last && last.end === i - 1) last.end = i;
        else windows.push({ start: i, end: i });
      });
      const plot: SeriesPlot = {
        key,
        values: (table.columns.get('value') ?? []).map(Number),
        scores: Array.from(table.anomalyScores),
        modelThreshold: detail ? detail.threshold.map((x) => (x === null ? Number.NaN : x)) : [],
        windows,
        probation: detail?.probation ?? Math.min(Math.floor(0.15 * table.length), 750),
        threshold,
      };
      const pngName = `${key.replace(/\.csv$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}.png`;
      const pngPath = join(outDir, 'png', pngName);
      await writeFile(pngPath, seriesPng(plot));
      pngs.push(pngPath);
      const per = summary.perFile?.find((x) => x.key === key);
      const std = per?.scores.standard;
      sections.push(`<section class="series" id="${esc(key)}"><h3>${esc(key)}</h3><p class="meta">${table.length} rows, ${windows.length} labelled window(s)` +
        (std ? `, detected ${std.detectedWindows}/${std.windows}, false-positive rows ${std.fp}, raw ${std.raw.toFixed(3)} (standard)` : '') +
        `. <a href="png/${esc(pngName)}">PNG</a></p>${seriesSvg(plot)}</section>`);
    }
  }

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hourglass NAB report: ${esc(summary.detector)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 12px 0 24px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: bold; }
.series { margin: 18px 0; }
.series h3 { margin: 0 0 2px; font-size: 15px; }
.meta { margin: 0 0 4px; font-size: 12px; color: #555; }
.legend span { margin-right: 14px; font-size: 12px; }
</style></head><body>
<h1>Hourglass on NAB: ${esc(summary.detector)}</h1>
<p>${summary.files} files${summary.seconds !== undefined ? `, run in ${summary.seconds}s` : ''}. Normalised NAB scores:
${PROFILE_NAMES.map((p) => `<b>${p}</b> ${(summary[p] as number).toFixed(2)} (threshold ${summary.thresholds[p]})`).join('; ')}.</p>
<p class="legend"><span style="color:${COLORS.value}">&#9644; value</span><span style="color:${COLORS.score}">&#9644; anomaly score</span><span style="color:${COLORS.threshold}">- - NAB threshold (standard)</span><span style="color:${COLORS.model}">&middot;&middot; model threshold</span><span style="color:#c99a2e">&#9632; labelled window</span><span style="color:#999">&#9632; probation</span><span style="color:${COLORS.detection}">&#9679; detection</span></p>
${summaryTable(summary)}
${sections.join('\n')}
</body></html>
`;
  const htmlPath = join(outDir, 'report.html');
  await writeFile(htmlPath, html);
  return { html: htmlPath, pngs };
}

function summaryTable(s: Summary): string {
  const rows = (s.perFile ?? []).map((f) => {
    const cells = PROFILE_NAMES.map((p) => {
      const x = f.scores[p];
      return x ? `<td>${x.raw.toFixed(3)}</td>` : '<td></td>';
    });
    const std = f.scores.standard;
    return `<tr><td><a href="#${esc(f.key)}">${esc(f.key)}</a></td><td>${f.rows}</td><td>${std ? `${std.detectedWindows}/${std.windows}` : ''}</td><td>${std?.fp ?? ''}</td>${cells.join('')}<td>${f.fits.promoted ?? 0}</td><td>${f.seconds.toFixed(1)}</td></tr>`;
  });
  const total = `<tr class="total"><td>total (normalised)</td><td></td><td></td><td></td>${PROFILE_NAMES.map((p) => `<td>${(s[p] as number).toFixed(2)}</td>`).join('')}<td></td><td></td></tr>`;
  const raw = `<tr class="total"><td>total (raw)</td><td></td><td></td><td></td>${PROFILE_NAMES.map((p) => `<td>${(s.raw[p] ?? 0).toFixed(3)}</td>`).join('')}<td></td><td></td></tr>`;
  return `<table class="summary"><thead><tr><th>file</th><th>rows</th><th>windows detected</th><th>FP rows</th>${PROFILE_NAMES.map((p) => `<th>${p} (raw)</th>`).join('')}<th>models</th><th>seconds</th></tr></thead><tbody>${rows.join('')}${raw}${total}</tbody></table>`;
}

function rgb(hex: string): Rgb {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : '?';
}
