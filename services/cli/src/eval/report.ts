import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILE_NAMES, readNabResultFile } from '@hourglass/eval';
import { parseTimestampText } from '@hourglass/core';
import { chartPage, esc, type ChartSeries } from '../report/chart-page';
import { SURPRISE_SCALE_DECADES } from './nab-runner';

export interface ReportWritten {
  readonly html: string;
}

/** A NAB anomaly_score (1 - 10^(-d/20)) back in decades of surprise d; null where it is 1 or more. */
export function nabScoreToSurprise(score: number): number | null {
  return Number.isFinite(score) && score < 1 ? Math.max(0, -SURPRISE_SCALE_DECADES * Math.log10(1 - score)) : null;
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

/**
 * Writes `report.html` for an `eval nab` results directory: the summary table, then one interactive
 * chart per file (values with the labelled windows, probation and detections; NAB's anomaly_score
 * as surprise with the NAB threshold and the model's). Self-contained: uPlot is inlined.
 */
export async function writeNabReport(options: { resultsDir: string; detector: string; outDir?: string }): Promise<ReportWritten> {
  const detectorDir = join(options.resultsDir, options.detector);
  const summaryFile = join(detectorDir, 'summary.json');
  if (!existsSync(summaryFile)) throw new Error(`${summaryFile} not found: give the --out directory of an \`hourglass eval nab\` run`);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  const outDir = options.outDir ?? join(detectorDir, 'report');
  await mkdir(outDir, { recursive: true });
  const threshold = summary.thresholds.standard ?? 1.1;

  const charts: ChartSeries[] = [];
  const categories = (await readdir(detectorDir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'report').map((d) => d.name).sort();
  for (const cat of categories) {
    const files = (await readdir(join(detectorDir, cat))).filter((f) => f.endsWith('.csv')).sort();
    for (const f of files) {
      const key = `${cat}/${f.slice(options.detector.length + 1)}`;
      const per = summary.perFile?.find((x) => x.key === key);
      charts.push(await fileChart(join(detectorDir, cat, f), key, threshold, per?.scores.standard ?? null));
    }
  }
  const intro = `<p>${summary.files} files${summary.seconds !== undefined ? `, run in ${summary.seconds}s` : ''}. Normalised NAB scores:
${PROFILE_NAMES.map((p) => `<b>${p}</b> ${(summary[p] as number).toFixed(2)} (threshold ${summary.thresholds[p]})`).join('; ')}.</p>
${summaryTable(summary)}`;
  const htmlPath = join(outDir, 'report.html');
  await writeFile(htmlPath, chartPage({ title: `Hourglass on NAB: ${summary.detector}`, intro, series: charts }));
  return { html: htmlPath };
}

type FileScore = { raw: number; windows: number; detectedWindows: number; fp: number } | null;

/** One result file as a chart; the detail side file (if any) gives the probation and model threshold. */
async function fileChart(csv: string, key: string, threshold: number, std: FileScore): Promise<ChartSeries> {
  const table = await readNabResultFile(csv);
  const detailFile = csv.replace(/\.csv$/, '.detail.json');
  const detail = existsSync(detailFile) ? (JSON.parse(await readFile(detailFile, 'utf8')) as { probation: number; threshold: (number | null)[]; surprise?: number[]; band?: ChartSeries['expected'] }) : null;
  const probation = detail?.probation ?? Math.min(Math.floor(0.15 * table.length), 750);
  const windows: { from: number; to: number; kind: 'window'; label: string }[] = [];
  (table.columns.get('label') ?? []).forEach((l, i) => {
    if (l !== '1') return;
    const last = windows[windows.length - 1];
    if (last && last.to === i - 1) last.to = i;
    else windows.push({ from: i, to: i, kind: 'window', label: 'labelled window' });
  });
  const scores = Array.from(table.anomalyScores);
  const timesMs = table.timestamps.map((t, i) => {
    const ms = parseTimestampText(t, 'UTC');
    if (ms === undefined) throw new Error(`${csv}:${table.lines[i]}: timestamp "${t}" is not one the report reads`);
    return ms;
  });
  const nabLine = nabScoreToSurprise(threshold);
  return {
    title: key,
    anchor: key,
    caption: `${table.length} rows, ${windows.length} labelled window(s)` +
      (std ? `, detected ${std.detectedWindows}/${std.windows}, false-positive rows ${std.fp}, raw ${std.raw.toFixed(3)} (standard profile)` : '') + '.',
    timesMs,
    values: (table.columns.get('value') ?? []).map(Number),
    valueLabel: 'value',
    // Every scored row's surprise where the detail file has it; the anomaly_score is non-zero only where an episode opened.
    surprise: detail?.surprise ?? scores.map(nabScoreToSurprise),
    thresholds: [
      ...(nabLine === null ? [] : [{ label: `NAB threshold (standard, ${threshold})`, values: nabLine }]),
      ...(detail ? [{ label: 'model threshold', values: detail.threshold.map((x) => (x === null ? null : nabScoreToSurprise(x))) }] : []),
    ],
    bands: [...(probation > 0 ? [{ from: 0, to: probation - 1, kind: 'probation' as const, label: 'probation' }] : []), ...windows],
    marks: scores.flatMap((s, i) => (i >= probation && s >= threshold ? [i] : [])),
    markLabel: 'detection',
    // The expected-value band, from detail files written since bands existed.
    ...(detail?.band ? { expected: detail.band } : {}),
  };
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
