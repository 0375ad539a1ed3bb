// Checks the scorer against NAB's own output on the 41 development files shipped beside the repository
// (../shared/eval/nab from the repository root): row-by-row S(t) columns and the normalised totals.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { numericColumn } from './nab-csv.js';
import { PROFILE_NAMES, loadDetectorResults, readProfiles, scoreDetector, scorePreparedFiles, type ProfileName } from './nab-benchmark.js';
import { buildScorePool, sweepThresholds } from './nab-sweep.js';

/** The repository root: the nearest ancestor whose package.json is named "hourglass". */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hourglass') return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named "hourglass" above ${__dirname}`);
  }
}

const NAB = resolve(repoRoot(), '..', 'shared', 'eval', 'nab');
const paths = {
  resultsDir: join(NAB, 'results'),
  labelsFile: join(NAB, 'labels', 'combined_windows.json'),
  profilesFile: join(NAB, 'config', 'profiles.json'),
};

/** True when the data is there; otherwise skips the test, or fails it on CI where the data must exist. */
function haveData(t: TestContext): boolean {
  if (existsSync(paths.labelsFile) && existsSync(paths.resultsDir)) return true;
  const msg = `NAB development data not found at ${NAB}: expected labels/combined_windows.json and results/ there`;
  if (process.env.CI === 'true') assert.fail(`${msg} (required when CI=true)`);
  t.skip(msg);
  return false;
}

const PUBLISHED: Record<string, number | Record<ProfileName, number>> = {
  numenta: { standard: 0.5421876907348634, reward_low_FP_rate: 0.5751955032348636, reward_low_FN_rate: 0.5421876907348634 },
  windowedGaussian: 1.0,
};

const EXPECTED: Record<string, Record<ProfileName, number>> = {
  numenta: { standard: 75.52, reward_low_FP_rate: 70.68, reward_low_FN_rate: 78.99 },
  windowedGaussian: { standard: 41.42, reward_low_FP_rate: 26.48, reward_low_FN_rate: 48.45 },
};

for (const detector of ['numenta', 'windowedGaussian']) {
  test(`${detector}: per-row scores equal NAB's S(t) columns at the published thresholds, on all 41 files`, async (t) => {
    if (!haveData(t)) return;
    const files = await loadDetectorResults({ ...paths, detector });
    assert.equal(files.length, 41);
    const profiles = await readProfiles(paths.profilesFile);
    const scores = scorePreparedFiles(
      files.map((f) => f.prepared),
      profiles,
      PUBLISHED[detector],
    );
    let rows = 0;
    let nonZero = 0;
    for (const profile of PROFILE_NAMES) {
      scores[profile].files.forEach((fileScore, k) => {
        const file = files[k]!;
        const nab = numericColumn(file.table, `S(t)_${profile}`);
        assert.equal(fileScore.rowScores.length, nab.length);
        for (let i = 0; i < nab.length; i++) {
          const ours = fileScore.rowScores[i] as number;
          const theirs = nab[i] as number;
          if (Math.abs(ours - theirs) > 1e-9 * Math.max(Math.abs(ours), Math.abs(theirs))) {
            assert.fail(`${file.path} row ${i} (line ${i + 2}) S(t)_${profile}: ours ${ours}, NAB ${theirs}`);
          }
          rows++;
          if (theirs !== 0) nonZero++;
        }
      });
    }
    t.diagnostic(`${rows} rows compared (${nonZero} non-zero NAB values)`);
    assert.ok(nonZero > 100, 'the comparison must exercise TP, FN and FP rows, not only zeros');
  });

  test(`${detector}: swept, normalised totals over the 41 files match NAB's`, async (t) => {
    if (!haveData(t)) return;
    const scores = await scoreDetector({ ...paths, detector });
    for (const profile of PROFILE_NAMES) {
      const s = scores[profile];
      t.diagnostic(`${profile}: ${s.normalized.toFixed(4)} (raw ${s.raw}, threshold ${s.threshold})`);
      assert.equal(s.normalized.toFixed(2), EXPECTED[detector]![profile].toFixed(2), profile);
      assert.equal(s.files.length, 41);
      assert.ok(Math.abs(s.raw - s.files.reduce((a, f) => a + f.raw, 0)) < 1e-9);
    }
  });
}

test('numenta: on standard and low-FN the sweep flags the same rows as the published threshold; on low-FP it does better', async (t) => {
  if (!haveData(t)) return;
  const swept = await scoreDetector({ ...paths, detector: 'numenta' });
  const fixed = await scoreDetector({ ...paths, detector: 'numenta', threshold: PUBLISHED.numenta! });
  for (const profile of ['standard', 'reward_low_FN_rate'] as const) {
    assert.equal(swept[profile].normalized, fixed[profile].normalized, profile);
    assert.deepEqual(
      [swept[profile].tp, swept[profile].fp, swept[profile].fn, swept[profile].tn],
      [fixed[profile].tp, fixed[profile].fp, fixed[profile].fn, fixed[profile].tn],
    );
  }
  assert.ok(swept.reward_low_FP_rate.normalized > fixed.reward_low_FP_rate.normalized);
});

test('the 41-file sweep (pool + three profiles) is fast and agrees with direct scoring', async (t) => {
  if (!haveData(t)) return;
  const files = await loadDetectorResults({ ...paths, detector: 'numenta' });
  const profiles = await readProfiles(paths.profilesFile);
  const prepared = files.map((f) => f.prepared);
  const start = performance.now();
  const pool = buildScorePool(prepared);
  const sweeps = PROFILE_NAMES.map((p) => sweepThresholds(pool, profiles[p]));
  const ms = performance.now() - start;
  t.diagnostic(`sweep of ${pool.size} scored rows, ${sweeps[0]!.thresholdsTried} thresholds x 3 profiles: ${ms.toFixed(1)} ms`);
  assert.ok(ms < 5000, `sweep took ${ms} ms`);
  const direct = scorePreparedFiles(prepared, profiles);
  PROFILE_NAMES.forEach((p, k) => {
    assert.equal(direct[p].threshold, sweeps[k]!.threshold);
    assert.ok(Math.abs(direct[p].raw - sweeps[k]!.raw) < 1e-9, p);
  });
});
