import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KINDS_DEFAULTS, evaluateKinds, type KindsEvaluation } from './testing/kinds-stream';

/**
 * Issue 19's measure of the similar-episode lookups: a generated stream of six like series (one
 * level, their own phase of a mild daily-like cycle, noise) with three kinds of injected anomalies
 * (a spike, a dip, a burst at four times the frequency), ten of each in a shuffled order, through
 * embedded mode (scorer, trainer, codes). For each new anomaly with an earlier one of its kind, the
 * nearest earlier episode its lookup names must be of the same kind in at least 80 % of the cases,
 * pooled over three streams (seeds); a random choice among the earlier episodes would get about a
 * third. The figures are in docs/bench-similar.md (`npm run bench:similar`).
 */
test('for a new anomaly, the nearest earlier episode by its hash lookup is of the same kind in at least 80 % of cases', async () => {
  const runs: KindsEvaluation[] = [];
  for (const seed of [19, 7, 3]) {
    const dir = mkdtempSync(join(tmpdir(), 'hourglass-kinds-'));
    try {
      runs.push(await evaluateKinds(dir, { ...KINDS_DEFAULTS, seed, perKind: 10 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const cases = runs.reduce((n, r) => n + r.cases, 0);
  const right = runs.reduce((n, r) => n + Math.round(r.accuracy * r.cases), 0);
  const baseline = runs.reduce((s, r) => s + r.baseline * r.cases, 0) / cases;
  const found = runs.reduce((n, r) => n + r.episodes.filter((e) => e.kind !== null).length, 0);
  console.log(`similar kinds: ${right}/${cases} = ${(right / cases).toFixed(3)} (random choice ${baseline.toFixed(3)}); per stream ${runs.map((r) => r.accuracy.toFixed(3)).join(', ')}`);
  assert.ok(found >= 0.9 * runs.reduce((n, r) => n + r.injected, 0), `episodes found for only ${found} injected anomalies`);
  assert.ok(cases >= 75, `only ${cases} cases`);
  assert.ok(right / cases >= 0.8, `nearest of the same kind in ${right}/${cases} cases`);
  assert.ok(baseline < 0.5, `the random baseline is ${baseline}`);
});
