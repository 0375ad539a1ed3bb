import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoStream, type AnomalyEvent, type Window } from '@hourglass/core';
import type { WindowScore } from '@hourglass/pipeline';
import { DemoScores, demoReportHtml } from '../embedded/demo-report';
import { DEFAULT_CHROMIUM, openInChromium, type HeadlessPage } from '../report/headless-chromium';
import { formatResultCsv, resultPath, writeResultFile } from './nab-results';
import { surpriseToScore } from './nab-runner';
import { nabScoreToSurprise, writeNabReport } from './report';

const CHROMIUM = process.env.HOURGLASS_CHROMIUM ?? DEFAULT_CHROMIUM;

/** A small fake `eval nab` results directory: two files, a summary, detail side files. */
async function fakeResults(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-report-'));
  const files = [{ cat: 'catA', name: 'one' }, { cat: 'catB', name: 'two' }];
  const perFile = [];
  for (const [k, f] of files.entries()) {
    const n = 400;
    const ts = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2015, 0, 1 + k) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19));
    const values = Array.from({ length: n }, (_, i) => 10 + 5 * Math.sin(i / 10) + (i === 300 ? 40 : 0) + k);
    const scores = Array.from({ length: n }, (_, i) => (i < 60 ? 0 : i >= 300 && i < 305 ? 0.99 : 0.3 + 0.2 * Math.abs(Math.sin(i / 7))));
    const labels = Array.from({ length: n }, (_, i) => (i >= 280 && i <= 320 ? 1 : 0));
    const path = resultPath(dir, 'hourglass', f.cat, f.name);
    await writeResultFile(path, formatResultCsv(ts, values, scores, labels));
    // The first file's detail has the expected-value band (the spike at 300 leaves it); the second's, written before bands, has none.
    const expected = values.map((v, i) => (i < 60 ? null : i === 300 ? v - 40 : v));
    const band = k === 0 ? { band: { expected, lower: expected.map((e) => (e === null ? null : e - 1)), upper: expected.map((e) => (e === null ? null : e + 1)) } } : {};
    writeFileSync(path.replace(/\.csv$/, '.detail.json'), JSON.stringify({ probation: 60, threshold: scores.map((_, i) => (i < 60 ? null : 0.9)), ...band }));
    const s = { raw: 0.9, null: -1, perfect: 1, windows: 1, scorableWindows: 1, detectedWindows: 1, fp: 0 };
    perFile.push({ key: `${f.cat}/${f.name}.csv`, rows: n, probation: 60, fits: { promoted: 2, rejected: 0, skipped: 0 }, rejectedPoints: 0, seconds: 1, backend: 'test', scores: { standard: s, reward_low_FP_rate: s, reward_low_FN_rate: s } });
  }
  writeFileSync(join(dir, 'hourglass', 'summary.json'), JSON.stringify({
    standard: 90, reward_low_FP_rate: 85, reward_low_FN_rate: 95, detector: 'hourglass', files: 2,
    thresholds: { standard: 0.95, reward_low_FP_rate: 0.95, reward_low_FN_rate: 0.95 }, raw: { standard: 1.8, reward_low_FP_rate: 1.7, reward_low_FN_rate: 1.9 }, perFile,
  }));
  return dir;
}

/** The demo report for a two-day demo stream, with made-up scores: each series' injected anomalies score high. */
function fakeDemoReport(dir: string): string {
  const demo = generateDemoStream({ days: 2 });
  const scores = new DemoScores();
  const events: AnomalyEvent[] = [];
  for (const series of demo.series) {
    const points = demo.points.filter((p) => p.series === series).slice(64);
    const truth = demo.truth.filter((a) => a.series === series);
    const inside = (ts: number) => truth.some((a) => ts >= a.startMs && ts <= a.endMs);
    // DemoScores reads only a window's series and end; the rest of Window does not matter here.
    const windows = points.map((p) => ({ series, endMs: p.ts }) as unknown as Window);
    const results = points.map((p, i) => ({ surprise: inside(p.ts) ? 6 : 0.4 * (1 + Math.sin(i)) }) as unknown as WindowScore);
    scores.record(windows, results, { threshold: 0.999 });
    // A made-up band around each value, that the injected anomalies leave.
    const channel = points.some((p) => !('value' in p)) ? 'net' : 'value';
    scores.recordBands(windows, points.map((p) => {
      const v = 'value' in p ? p.value : p.values.net!;
      const expected = inside(p.ts) ? v / 2 - 10 : v;
      const half = 0.05 * Math.abs(v) + 1;
      return { ts: p.ts, coverage: 0.95, channels: [{ channel, actual: v, expected, lower: expected - half, upper: expected + half }] };
    }));
    for (const a of truth) events.push({ series, state: 'open', windowEnd: new Date(a.startMs).toISOString() } as unknown as AnomalyEvent);
  }
  const path = join(dir, 'demo.html');
  writeFileSync(path, demoReportHtml(demo, scores, events, 'a test run'));
  return path;
}

test('report: one self-contained page with a chart per file, the summary table, and uPlot inlined', async () => {
  const dir = await fakeResults();
  const { html: path } = await writeNabReport({ resultsDir: dir, detector: 'hourglass' });
  const html = readFileSync(path, 'utf8');
  assert.equal((html.match(/<div class="chart" id="chart-\d+">/g) ?? []).length, 2);
  assert.match(html, /class="summary"/);
  assert.match(html, /<section class="series" id="catA\/one\.csv">/, 'the summary table links land on a chart');
  assert.ok(html.includes(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8')), 'uPlot is inlined from node_modules');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets');
  const data = JSON.parse(/<script type="application\/json" id="hourglass-chart-data">(.*?)<\/script>/s.exec(html)![1]!) as { series: { marks: number[]; bands: { kind: string }[]; thresholds: { label: string }[]; t: number[] }[] };
  const one = data.series[0]!;
  assert.deepEqual(one.marks, [300, 301, 302, 303, 304], 'detections: rows at or above the NAB threshold after probation');
  assert.deepEqual(one.bands.map((b) => b.kind), ['probation', 'window']);
  assert.deepEqual(one.thresholds.map((t) => t.label), ['NAB threshold (standard, 0.95)', 'model threshold']);
  assert.deepEqual(new Set(one.t.slice(1)), new Set([300]), 'times are stored as deltas in seconds');
  rmSync(dir, { recursive: true, force: true });
});

test('report: the NAB score maps back to its surprise (the chart\'s axis)', () => {
  for (const d of [0.5, 3, 12, 40]) assert.ok(Math.abs(nabScoreToSurprise(surpriseToScore(d))! - d) < 1e-9, String(d));
  assert.equal(nabScoreToSurprise(0), 0);
  assert.equal(nabScoreToSurprise(1), null);
});

/** What a test reads back from one chart in the page. */
interface ChartState { min: number; max: number; first: number; last: number; over: { x: number; y: number; width: number; height: number }; colored: { value: number; surprise: number; band: number; expected: number; outside: number }; legendTime: string; cursorLeft: number }

/** Reads chart `i`: its x range, its data range, its plot area on screen, and how many pixels of each colour it drew. */
function chartState(page: HeadlessPage, i: number): Promise<ChartState> {
  return page.evaluate<ChartState>(`(() => {
    const u = window.hourglassCharts[${i}];
    u.root.scrollIntoView({ block: 'center' });
    const r = u.over.getBoundingClientRect();
    const c = u.ctx.canvas, px = u.ctx.getImageData(0, 0, c.width, c.height).data;
    // The canvas is transparent where nothing is drawn, so a translucent band reads back as its own colour.
    const want = { value: [31, 78, 153], surprise: [106, 61, 154], band: [242, 193, 78], expected: [44, 160, 44], outside: [255, 127, 14] };
    const colored = { value: 0, surprise: 0, band: 0, expected: 0, outside: 0 };
    for (let p = 0; p < px.length; p += 4) for (const [k, [r0, g0, b0]] of Object.entries(want)) {
      if (Math.abs(px[p] - r0) + Math.abs(px[p + 1] - g0) + Math.abs(px[p + 2] - b0) < 40) colored[k]++;
    }
    return { min: u.scales.x.min, max: u.scales.x.max, first: u.data[0][0], last: u.data[0][u.data[0].length - 1],
      over: { x: r.left, y: r.top, width: r.width, height: r.height }, colored,
      legendTime: u.root.querySelector('.u-legend .u-series .u-value').textContent, cursorLeft: u.cursor.left };
  })()`);
}

/**
 * Opens the page, checks every chart drew its lines and bands, that a drag zooms chart 0 to about
 * the dragged share, and that hovering shows a time; then runs `more` and closes Chromium whatever happened.
 */
async function checkCharts(t: { skip(reason: string): void }, path: string, expected: number, more: (page: HeadlessPage) => Promise<void>): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} not found: install it with \`apt-get install -y chromium\` (or set HOURGLASS_CHROMIUM)`;
    if (process.env.CI === 'true') assert.fail(reason);
    t.skip(reason);
    return;
  }
  const page = await openInChromium(`file://${path}`, { chromium: CHROMIUM });
  try {
    assert.equal(await page.evaluate('window.hourglassCharts.length'), expected, 'one chart per series');
    for (let i = 0; i < expected; i++) {
      const s = await chartState(page, i);
      assert.ok(s.colored.value > 50 && s.colored.surprise > 20 && s.colored.band > 200, `chart ${i} drew values, surprise and bands: ${JSON.stringify(s.colored)}`);
      assert.deepEqual([s.min, s.max], [s.first, s.last], `chart ${i} starts showing all its data`);
    }
    const before = await chartState(page, 0);
    const y = before.over.y + before.over.height / 2;
    await page.drag({ x: before.over.x + 0.3 * before.over.width, y }, { x: before.over.x + 0.6 * before.over.width, y });
    const after = await chartState(page, 0);
    const share = (after.max - after.min) / (before.max - before.min);
    assert.ok(after.min > before.min && after.max < before.max && share > 0.25 && share < 0.35, `the drag zoomed into about 30 % of the range: ${JSON.stringify({ before, after })}`);
    await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: after.over.x + after.over.width / 2, y, buttons: 0 });
    const hovered = await chartState(page, 0);
    assert.match(hovered.legendTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?Z$/, 'hovering shows the time under the pointer');
    await more(page);
  } finally {
    await page.close();
  }
}

test('report: the NAB report renders interactive charts in headless Chromium, and dragging zooms', async (t) => {
  const dir = await fakeResults();
  const { html } = await writeNabReport({ resultsDir: dir, detector: 'hourglass' });
  await checkCharts(t, html, 2, async (page) => {
    const labels = (i: number) => page.evaluate<string[]>(`[...window.hourglassCharts[${i}].root.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent)`);
    assert.ok((await labels(0)).includes('expected') && (await labels(0)).includes('outside band'), 'the file with a band draws it');
    assert.ok(!(await labels(1)).includes('expected'), 'a detail file without a band draws none');
    const outside = await page.evaluate<number>('window.hourglassCharts[0].data[window.hourglassCharts[0].data.length - 1].filter((v) => v != null).length');
    assert.equal(outside, 1, 'one value outside the band: the spike');
    // The two files span different days, so zooming one leaves the other as it was.
    const other = await chartState(page, 1);
    assert.deepEqual([other.min, other.max], [other.first, other.last]);
  });
  rmSync(dir, { recursive: true, force: true });
});

test('report: the demo report renders one chart per series; cursor and zoom are linked across them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-demo-report-'));
  await checkCharts(t, fakeDemoReport(dir), 6, async (page) => {
    const zoomed = await chartState(page, 0);
    const { cursorLeft } = await page.evaluate<{ cursorLeft: number }>('({ cursorLeft: window.hourglassCharts[1].cursor.left })');
    assert.ok(cursorLeft >= 0, `the pointer over chart 0 shows on chart 1 too (left ${cursorLeft})`);
    const linked = await chartState(page, 5);
    assert.deepEqual([linked.min, linked.max], [zoomed.min, zoomed.max], 'the same time range on every chart');
    // The expected-value band: the expected line inside its shaded band, and the values that leave it (the injected anomalies) marked.
    await page.evaluate(`window.hourglassCharts.forEach((u) => u.setScale('x', { min: u.data[0][0], max: u.data[0][u.data[0].length - 1] }))`);
    for (let i = 0; i < 6; i++) {
      const { colored } = await chartState(page, i);
      assert.ok(colored.expected > 500 && colored.outside > 10, `chart ${i} drew the band and the values outside it: ${JSON.stringify(colored)}`);
    }
    const legend = await page.evaluate<string[]>(`[...window.hourglassCharts[0].root.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent)`);
    for (const label of ['expected', 'band lower', 'band upper', 'outside band']) assert.ok(legend.includes(label), `legend has ${label}: ${legend.join(', ')}`);
  });
  rmSync(dir, { recursive: true, force: true });
});
