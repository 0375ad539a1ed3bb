import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../infra/paths';

// `npm start` runs `hourglass start`: the embedded demo from scratch. It needs no infrastructure.
test('npm start: the embedded demo finds the injected anomalies with precision and recall of at least 0.8', async () => {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'hourglass-demo-')), 'demo');
  const cli = join(repoRoot(), 'services', 'cli', 'dist', 'main.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'start', '--json', '--state-dir', stateDir], { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { precision: number; recall: number; backend: string; episodes: number; modelsFitted: number; eventsFile: string; series: number; report: string };
  assert.ok(summary.precision >= 0.8, `precision ${summary.precision}`);
  assert.ok(summary.recall >= 0.8, `recall ${summary.recall}`);
  assert.equal(summary.series, 6);
  assert.ok(summary.modelsFitted >= 6, 'every demo group got a model');
  if (process.env.HOURGLASS_REQUIRE_NATIVE === '1') assert.equal(summary.backend, 'tensorflow');
  const events = readFileSync(summary.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { state: string });
  assert.equal(events.filter((e) => e.state === 'open').length, summary.episodes);
  const html = readFileSync(summary.report, 'utf8');
  assert.equal((html.match(/<div class="chart" id="chart-\d+">/g) ?? []).length, 6, 'one chart per demo series');
  const charts = JSON.parse(/<script type="application\/json" id="hourglass-chart-data">(.*?)<\/script>/s.exec(html)![1]!) as { series: { marks: number[] }[] };
  assert.equal(charts.series.reduce((n, s) => n + s.marks.length, 0), summary.episodes, 'every opened episode is marked');
});
