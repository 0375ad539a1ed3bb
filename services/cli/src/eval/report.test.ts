import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { formatResultCsv, resultPath, writeResultFile } from './nab-results';
import { writeNabReport } from './report';

const CHROMIUM = process.env.HOURGLASS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A small fake `eval nab` results directory: two files, a summary, detail side files. */
async function fakeResults(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-report-'));
  const files = [{ cat: 'catA', name: 'one' }, { cat: 'catB', name: 'two' }];
  const perFile = [];
  for (const [k, f] of files.entries()) {
    const n = 400;
    const ts = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2015, 0, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19));
    const values = Array.from({ length: n }, (_, i) => 10 + 5 * Math.sin(i / 10) + (i === 300 ? 40 : 0) + k);
    const scores = Array.from({ length: n }, (_, i) => (i < 60 ? 0 : i >= 300 && i < 305 ? 0.99 : 0.3 + 0.2 * Math.abs(Math.sin(i / 7))));
    const labels = Array.from({ length: n }, (_, i) => (i >= 280 && i <= 320 ? 1 : 0));
    const path = resultPath(dir, 'hourglass', f.cat, f.name);
    await writeResultFile(path, formatResultCsv(ts, values, scores, labels));
    writeFileSync(path.replace(/\.csv$/, '.detail.json'), JSON.stringify({ probation: 60, threshold: scores.map((_, i) => (i < 60 ? null : 0.9)) }));
    const s = { raw: 0.9, null: -1, perfect: 1, windows: 1, scorableWindows: 1, detectedWindows: 1, fp: 0 };
    perFile.push({ key: `${f.cat}/${f.name}.csv`, rows: n, probation: 60, fits: { promoted: 2, rejected: 0, skipped: 0 }, rejectedPoints: 0, seconds: 1, backend: 'test', scores: { standard: s, reward_low_FP_rate: s, reward_low_FN_rate: s } });
  }
  writeFileSync(join(dir, 'hourglass', 'summary.json'), JSON.stringify({
    standard: 90, reward_low_FP_rate: 85, reward_low_FN_rate: 95, detector: 'hourglass', files: 2,
    thresholds: { standard: 0.95, reward_low_FP_rate: 0.95, reward_low_FN_rate: 0.95 }, raw: { standard: 1.8, reward_low_FP_rate: 1.7, reward_low_FN_rate: 1.9 }, perFile,
  }));
  return dir;
}

/** Rough "not blank" check of a PNG: inflate its IDAT data and look for variation. */
function pngHasContent(bytes: Buffer): boolean {
  assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG');
  const parts: Buffer[] = [];
  for (let o = 8; o < bytes.length; ) {
    const len = bytes.readUInt32BE(o);
    const type = bytes.subarray(o + 4, o + 8).toString('ascii');
    if (type === 'IDAT') parts.push(bytes.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(parts));
  const distinct = new Set<number>();
  for (let i = 0; i < raw.length; i += 7) distinct.add(raw[i]!);
  return distinct.size > 8;
}

test('report: self-contained HTML with an SVG per series, a summary table, and PNGs', async () => {
  const dir = await fakeResults();
  const written = await writeNabReport({ resultsDir: dir, detector: 'hourglass' });
  const html = readFileSync(written.html, 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.match(html, /class="summary"/);
  assert.match(html, /catA\/one\.csv/);
  assert.match(html, /class="label-window"/);
  assert.match(html, /class="detection"/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets');
  assert.equal(written.pngs.length, 2);
  for (const p of written.pngs) assert.ok(pngHasContent(readFileSync(p)), `${p} looks blank`);
  rmSync(dir, { recursive: true, force: true });
});

test('report: the HTML renders in headless Chromium (DOM has the plots; the screenshot is not blank)', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} not found: install it with \`apt-get install -y chromium\` (or set HOURGLASS_CHROMIUM)`;
    if (process.env.CI === 'true') assert.fail(reason);
    t.skip(reason);
    return;
  }
  const dir = await fakeResults();
  const written = await writeNabReport({ resultsDir: dir, detector: 'hourglass' });
  const profile = mkdtempSync(join(tmpdir(), 'hourglass-chromium-'));
  const url = `file://${written.html}`;
  const dom = spawnSync(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(dom.status, 0, dom.stderr);
  assert.equal((dom.stdout.match(/<svg /g) ?? []).length, 2, 'both SVG plots are in the rendered DOM');
  assert.ok((dom.stdout.match(/<polyline /g) ?? []).length >= 6, 'value, score and threshold lines are in the DOM');
  const shot = join(dir, 'shot.png');
  const profile2 = mkdtempSync(join(tmpdir(), 'hourglass-chromium-'));
  const screenshot = spawnSync(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile2}`, `--screenshot=${shot}`, '--window-size=1024,900', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(screenshot.status, 0, screenshot.stderr);
  assert.ok(existsSync(shot), 'chromium wrote the screenshot');
  assert.ok(pngHasContent(readFileSync(shot)), 'the screenshot is not blank');
  for (const d of [dir, profile, profile2]) rmSync(d, { recursive: true, force: true });
});
