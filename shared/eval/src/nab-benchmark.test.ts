import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProfiles, scoreDetector } from './nab-benchmark.js';

const PROFILES = JSON.stringify({
  standard: { CostMatrix: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11, tnWeight: 1 } },
  reward_low_FP_rate: { CostMatrix: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22, tnWeight: 1 } },
  reward_low_FN_rate: { CostMatrix: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11, tnWeight: 1 } },
});

function csv(scores: number[]): string {
  const lines = ['timestamp,value,anomaly_score,label'];
  scores.forEach((s, i) => lines.push(`2014-04-01 00:0${i}:00,${i},${s},0`));
  return `${lines.join('\n')}\n`;
}

/** A tiny NAB layout: detector "det" has results for cat/a.csv and cat/b.csv; labels also cover cat/c.csv. */
function fixture(): { dir: string; opts: { resultsDir: string; labelsFile: string; profilesFile: string; detector: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'nab-fixture-'));
  mkdirSync(join(dir, 'results', 'det', 'cat'), { recursive: true });
  // a.csv: window rows 2..5, detected on its first row (TP = 1). b.csv: window rows 1..2, missed (-fnWeight).
  writeFileSync(join(dir, 'results', 'det', 'cat', 'det_a.csv'), csv([0, 0, 0.9, 0, 0, 0]));
  writeFileSync(join(dir, 'results', 'det', 'cat', 'det_b.csv'), csv([0, 0, 0, 0, 0, 0]));
  writeFileSync(
    join(dir, 'labels.json'),
    JSON.stringify({
      'cat/a.csv': [['2014-04-01 00:02:00.000000', '2014-04-01 00:05:00.000000']],
      'cat/b.csv': [['2014-04-01 00:01:00.000000', '2014-04-01 00:02:00.000000']],
      'cat/c.csv': [['2014-04-01 00:01:00.000000', '2014-04-01 00:02:00.000000']],
    }),
  );
  writeFileSync(join(dir, 'profiles.json'), PROFILES);
  return {
    dir,
    opts: { resultsDir: join(dir, 'results'), labelsFile: join(dir, 'labels.json'), profilesFile: join(dir, 'profiles.json'), detector: 'det' },
  };
}

test('scores exactly the files present, normalising over them only', async () => {
  const { dir, opts } = fixture();
  try {
    const s = await scoreDetector({ ...opts, threshold: 0.5 });
    // Two windows (c.csv's is not counted): null -2, perfect 2; at 0.5, a's TP (1) and b's miss (-1): raw 0.
    assert.equal(s.standard.files.length, 2);
    assert.deepEqual(s.standard.files.map((f) => f.name), ['cat/a.csv', 'cat/b.csv']);
    assert.equal(s.standard.threshold, 0.5);
    assert.equal(s.standard.raw, 0);
    assert.equal(s.standard.null, -2);
    assert.equal(s.standard.perfect, 2);
    assert.equal(s.standard.normalized, 50);
    // Low-FN: null -4, raw 1 - 2 = -1 -> 100 * 3 / 6.
    assert.equal(s.reward_low_FN_rate.normalized, 50);
    assert.deepEqual([s.standard.tp, s.standard.fp, s.standard.fn, s.standard.tn], [1, 0, 5, 6]);
    // Swept: threshold 0 detects everything. a: TP 1 and FPs at rows 0, 1 with no window before them
    // (-0.11 each). b (window rows 1..2, width 2): TP 1, FP at row 0 (-0.11), and FPs at rows 3..5, at
    // positions 1, 2, 3 past the window. That beats 0.9 (raw 0), so the sweep picks 0.
    const swept = await scoreDetector(opts);
    const sig = (p: number): number => 2 / (1 + Math.exp(5 * p)) - 1;
    const raw = 1 - 0.22 + 1 - 0.11 + 0.11 * (sig(1) + sig(2) + sig(3));
    assert.equal(swept.standard.threshold, 0);
    assert.ok(Math.abs(swept.standard.raw - raw) < 1e-12);
    assert.ok(Math.abs(swept.standard.normalized - (100 * (raw + 2)) / 4) < 1e-9);
    assert.equal(swept.standard.fp, 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a result file without a labels entry is a clear error', async () => {
  const { dir, opts } = fixture();
  try {
    writeFileSync(join(dir, 'results', 'det', 'cat', 'det_d.csv'), csv([0, 0, 0]));
    await assert.rejects(scoreDetector(opts), (e: Error) => {
      assert.equal(e.name, 'NabBenchmarkError');
      assert.match(e.message, /det_d\.csv: no entry "cat\/d\.csv" in labels file .*labels\.json$/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed result row and a missing detector are named', async () => {
  const { dir, opts } = fixture();
  try {
    await assert.rejects(scoreDetector({ ...opts, detector: 'nope' }), /no results for detector "nope": cannot read .*nope \(ENOENT\)/);
    writeFileSync(join(dir, 'results', 'det', 'cat', 'det_a.csv'), 'timestamp,value,anomaly_score,label\n2014-04-01 00:00:00,1,x,0\n');
    await assert.rejects(scoreDetector(opts), /det_a\.csv:2: column "anomaly_score" has non-numeric value "x"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('profiles must define all three cost matrices', () => {
  assert.throws(() => parseProfiles('{"standard": {"CostMatrix": {}}}', 'p.json'), /p\.json: profile "standard" CostMatrix\.tpWeight/);
  assert.throws(() => parseProfiles('{}', 'p.json'), /p\.json: profile "standard" has no CostMatrix/);
});
