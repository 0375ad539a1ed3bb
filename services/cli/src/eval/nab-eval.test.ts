import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNabResultFile } from '@hourglass/eval';
import { initBackend } from '@hourglass/model';
import { formatResultCsv, labelRows, parseNabTimestamp, resultPath, writeResultFile } from './nab-results';
import { compileConfig, type HourglassConfig } from '@hourglass/core';
import { loadConfig } from '../config-file';
import { evalNabRunnerOptions } from '../commands/eval-nab';
import { nabFileConfig } from './nab-scale';
import { nabGroup, probationRows, runNabSeries, surpriseToScore, type NabRunnerOptions } from './nab-runner';

const dir = mkdtempSync(join(tmpdir(), 'hourglass-nab-eval-'));

function stamps(n: number, stepMs = 300_000): string[] {
  const t0 = Date.UTC(2014, 3, 1, 0, 0, 0);
  return Array.from({ length: n }, (_, i) => new Date(t0 + i * stepMs).toISOString().replace('T', ' ').slice(0, 19));
}

test('NAB timestamps parse as UTC', () => {
  assert.equal(parseNabTimestamp('2014-04-10 07:15:00'), Date.UTC(2014, 3, 10, 7, 15, 0));
  assert.equal(parseNabTimestamp('2014-04-10 07:15:00.000000'), Date.UTC(2014, 3, 10, 7, 15, 0));
  assert.ok(Number.isNaN(parseNabTimestamp('10/04/2014')));
  assert.equal(probationRows(4032), 604);
  assert.equal(probationRows(100_000), 750);
});

test('result files: NAB layout, header, labels from windows, scores read back exactly', async () => {
  const ts = stamps(10);
  const labels = labelRows(ts, [[ts[3]!, `${ts[5]!}.000000`]], 'test');
  assert.deepEqual(Array.from(labels), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
  const scores = [0, 0, 0.1, 0.123456789012345, 1, 0.5, 0, 1e-7, 0.3, 0];
  const path = resultPath(dir, 'det', 'cat', 'file');
  assert.equal(path, join(dir, 'det', 'cat', 'det_file.csv'));
  await writeResultFile(path, formatResultCsv(ts, ts.map((_, i) => String(i * 1.5)), scores, labels));
  const table = await readNabResultFile(path);
  assert.deepEqual(table.header, ['timestamp', 'value', 'anomaly_score', 'label']);
  assert.deepEqual(Array.from(table.anomalyScores), scores);
  assert.deepEqual(table.columns.get('label'), Array.from(labels, String));
  assert.throws(() => formatResultCsv(ts, ts, scores.map((s) => s * 2), labels), /not in \[0, 1\]/);
});

test('no look-ahead: the score of row t does not change when rows after t change', { timeout: 60_000 }, async () => {
  await initBackend({});
  const n = 700;
  const cut = 450;
  const ts = stamps(n);
  const base = Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 24) + 0.05 * Math.sin(i * 1.7));
  const altered = base.map((v, i) => (i > cut ? v * 3 + (i % 7 === 0 ? 10 : 0) : v));
  // A small, fast config; the refit cadence makes several refits after the cut, from the altered buffer.
  const options: NabRunnerOptions = {
    config: compileConfig({
      scorer: { batchMaxWindows: 128, bufferMaxWindows: 400 }, // larger than the probation (105 rows): the first flush ends it
      trainer: { minWindows: 50, maxWindows: 400, refitAfterNewWindows: 120, refitIntervalMs: 365 * 86_400_000, retryAfterMissMs: 0 },
      // Episodes open on the first anomalous window, so this short stream opens some to compare.
      groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 16 }, episodes: { openAfterWindows: 1, closeAfterWindows: 3 }, model: { layers: [8], latentSize: 2, epochs: 5, batchSize: 32 } }],
    }),
  };
  const a = await runNabSeries('s', ts, base, options);
  const b = await runNabSeries('s', ts, altered, options);
  assert.equal(a.probation, 105);
  assert.ok(a.modelChanges.length >= 2, `expected refits, got ${JSON.stringify(a.modelChanges)}`);
  // The windower emits the window ending at row t when row t+1 arrives, so the last probation row is
  // scored by the first model (which never saw it); every earlier row has no model yet.
  assert.ok(a.surprise.slice(0, a.probation - 1).every((x) => x === 0), 'rows before the first model score 0');
  assert.ok(a.surprise.slice(a.probation + 1).some((x) => x > 0), 'rows after the first fit are scored');
  assert.deepEqual(Array.from(b.surprise.slice(0, cut + 1)), Array.from(a.surprise.slice(0, cut + 1)));
  assert.deepEqual(Array.from(b.anomalyScore.slice(0, cut + 1)), Array.from(a.anomalyScore.slice(0, cut + 1)));
  assert.notDeepEqual(Array.from(b.surprise.slice(cut + 1)), Array.from(a.surprise.slice(cut + 1)), 'the altered future is scored differently');
  for (const s of [...a.anomalyScore, ...b.anomalyScore]) assert.ok(s >= 0 && s <= 1);
  // A row scores only where the scorer opened an episode: NAB counts pages, not anomalous rows.
  const opened = a.scales[0]!.opened;
  assert.ok(opened.some((x) => x === 1), 'the stream opens episodes');
  for (let i = 0; i < opened.length; i++) if (opened[i] === 0) assert.equal(a.anomalyScore[i], 0, `row ${i} opened nothing`);
});

test('anomaly_score from surprise: monotone, in [0, 1), and distinct where 1 - p has reached 1', () => {
  assert.equal(surpriseToScore(0), 0);
  assert.ok(Math.abs(surpriseToScore(20) - 0.9) < 1e-12);
  const scores = [0.5, 3, 16, 17, 40, 100, 300].map(surpriseToScore);
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! > scores[i - 1]!, `rises at ${i}`);
  assert.ok(scores.every((x) => x >= 0 && x < 1));
});

test('the first model is fitted on the whole probationary period, not only its first windows', { timeout: 60_000 }, async () => {
  await initBackend({});
  const n = 2000; // probation 300 rows
  const ts = stamps(n);
  // The level steps up two thirds into probation and stays there: a model that saw all of
  // probation knows the new level; one fitted on the first 100 windows only would flag all of it.
  const values = Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 24) + 0.05 * Math.sin(i * 1.7) + (i >= 200 ? 5 : 0));
  const options: NabRunnerOptions = {
    config: compileConfig({
      trainer: { refitIntervalMs: 365 * 86_400_000 }, // the first fit only
      groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 16 }, model: { layers: [8], latentSize: 2, epochs: 20, batchSize: 32 } }],
    }),
  };
  const run = await runNabSeries('s', ts, values, options);
  assert.equal(run.probation, 300);
  const after = Array.from(run.surprise.slice(320, 600)).sort((a, b) => a - b);
  const median = after[after.length >> 1]!;
  assert.ok(median < 3, `windows at the level probation ended on should look normal; median surprise ${median.toFixed(2)} decades`);
  // The expected-value band the report draws: every row scored after probation has one, around the level the model learned.
  const scale = run.scales[0]!;
  const banded = Array.from({ length: n - 320 }, (_, k) => k + 320).filter((i) => Number.isFinite(scale.expected[i]!) && scale.lower[i]! <= scale.expected[i]! && scale.expected[i]! <= scale.upper[i]!);
  const scored = Array.from({ length: n - 320 }, (_, k) => k + 320).filter((i) => Number.isFinite(scale.rawError[i]!)).length;
  assert.equal(banded.length, scored, 'a band on every row scored after probation');
  const inside = banded.filter((i) => values[i]! >= scale.lower[i]! && values[i]! <= scale.upper[i]!).length / banded.length;
  assert.ok(inside > 0.6, `most normal values inside the 95% band (${(100 * inside).toFixed(1)}%)`);
});

test('eval nab runs the config hourglass run and the services read: the schema defaults without --config, the file with it', () => {
  const env = { KAFKA_BROKERS: 'k:9092' };
  const plain = evalNabRunnerOptions({ data: 'd', labels: 'l', profiles: 'p', out: 'o', detector: 'h' }, env);
  assert.deepEqual(plain.config, loadConfig(undefined, env), 'what `hourglass run` and the services load with no --config');
  assert.deepEqual(nabGroup(plain), compileConfig({}).groups[0], "the schema's default group");

  const file = join(dir, 'custom.json');
  writeFileSync(file, JSON.stringify({ trainer: { refitAfterNewWindows: 777 }, groups: [{ name: 'a', match: { glob: 'x*' } }, { name: 'b', match: { glob: '*' }, window: { lengthSteps: 24 } }] }));
  const custom = evalNabRunnerOptions({ data: 'd', labels: 'l', profiles: 'p', out: 'o', detector: 'h', config: file, group: 'b' }, env);
  assert.deepEqual(custom.config, loadConfig(file, env));
  assert.equal(nabGroup(custom).window.lengthSteps, 24);
  assert.throws(() => evalNabRunnerOptions({ data: 'd', labels: 'l', profiles: 'p', out: 'o', detector: 'h', config: file, group: 'nope' }, env), /no model group 'nope'/);
});

test("a file's config differs from the shipped one only where NAB's rules fix it: the probation is the warm-up", () => {
  const config: HourglassConfig = compileConfig({});
  const group = config.groups[0]!;
  const file = nabFileConfig(config, group, 'machine_temp', 300);
  assert.deepEqual(file.groups, [{ ...group, match: { series: ['machine_temp'] } }]);
  assert.deepEqual({ ...file.scorer, warmupWindows: config.scorer.warmupWindows }, config.scorer);
  assert.deepEqual({ ...file.trainer, minWindows: config.trainer.minWindows }, config.trainer);
  assert.equal(file.trainer.minWindows, 1, 'the first fit happens at the end of probation, on what it produced');
  for (const key of ['kafka', 'redis', 'ops', 'log', 'ingest'] as const) assert.deepEqual(file[key], config[key]);
});
