import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { compileConfig, type AnomalyEvent } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { initBackend } from '@hourglass/model';
import { DiskCodeStore } from './disk-code-store';
import { DiskFeedbackStore, DiskHeldBack } from './disk-feedback-store';
import { FeedbackRecorder } from '../feedback/recorder';
import { EmbeddedPipeline } from './pipeline';

const STEP_MS = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const config = compileConfig({
  scorer: { batchMaxWindows: 200, warmupWindows: 800 },
  trainer: { minWindows: 300, maxWindows: 800, refitAfterNewWindows: 300, refitIntervalMs: 365 * 86_400_000, retryAfterMissMs: 0 },
  groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 32, intervalMs: STEP_MS }, model: { epochs: 12 } }],
});

/** A noisy 20-step cycle around 10, flat at 13 (above the cycle's top) for 30 steps from `plateauAt`. */
function points(from: number, to: number, plateauAt: number) {
  let seed = 7 + from;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.4;
  const out = [];
  for (let i = from; i < to; i += 1) {
    const flat = i >= plateauAt && i < plateauAt + 30;
    out.push({ series: 's', timestampMs: T0 + i * STEP_MS, channels: ['value'], values: [(flat ? 13 : 10 + 2 * Math.sin((2 * Math.PI * i) / 20)) + noise()] });
  }
  return out;
}

/** One `hourglass run` over `dir` (models, codes and feedback persist between runs, as with --state-dir). */
async function run(dir: string, from: number, to: number, plateauAt: number): Promise<{ events: AnomalyEvent[]; pipeline: EmbeddedPipeline }> {
  const events: AnomalyEvent[] = [];
  const pipeline = new EmbeddedPipeline({
    config, modelsDir: join(dir, 'models'), codesDir: join(dir, 'codes'), feedbackDir: join(dir, 'feedback'),
    registry: new Registry(), log: createLogger({ level: 'silent' }), onEvent: (e) => events.push(e),
  });
  await pipeline.start();
  for (const p of points(from, to, plateauAt)) await pipeline.offer(p);
  await pipeline.finish();
  return { events, pipeline };
}

const stepOf = (e: AnomalyEvent): number => (Date.parse(e.windowEnd) - T0) / STEP_MS;
const opensIn = (events: readonly AnomalyEvent[], from: number, to: number) => events.filter((e) => e.state === 'open' && stepOf(e) >= from && stepOf(e) < to);

test('embedded mode: a false positive recorded in the folder (hourglass feedback --state-dir) is learned by the next run\'s refit', async () => {
  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-feedback-'));
  const control = mkdtempSync(join(tmpdir(), 'hourglass-feedback-control-'));
  try {
    const first = await run(dir, 0, 1200, 800);
    const plateau = opensIn(first.events, 800, 862);
    assert.equal(plateau.length, 1, `the plateau opens one episode (opens at ${first.events.filter((e) => e.state === 'open').map(stepOf).join(', ')})`);
    cpSync(dir, control, { recursive: true }); // the same folder, without the verdict

    // What `hourglass feedback --state-dir DIR` composes.
    const recorder = new FeedbackRecorder({
      groups: ['g'], store: new DiskFeedbackStore(join(dir, 'feedback')), heldBack: new DiskHeldBack(join(dir, 'feedback', 'heldback'), config.feedback.heldBackMaxWindows),
      codes: new DiskCodeStore(join(dir, 'codes'), config.similar.maxCodesPerGroup), maxWindowsPerEpisode: config.feedback.maxWindowsPerEpisode,
    });
    const { feedback } = await recorder.record({ event: plateau[0]!.episodeId, verdict: 'false-positive' }, 'cli', 'oncall');
    assert.ok(feedback.windows >= 30, `the episode's windows are found in the folder (${feedback.windows})`);
    const marked = (await new DiskCodeStore(join(dir, 'codes'), 100).read('g', null)).records.filter((r) => r.episodeId === feedback.episodeId).at(-1);
    assert.equal(marked?.verdict, 'false-positive', 'the episode\'s stored code carries the verdict');

    // The next run refits (300 new clean windows) before the plateau comes back, at the same phase of the cycle (a nightly job).
    const [second, without] = [await run(dir, 1200, 2400, 2000), await run(control, 1200, 2400, 2000)];
    const learned = second.pipeline.stats.fits.find((f) => f.outcome.status === 'promoted' && f.atWindow < 750);
    assert.ok(learned, `a refit before the plateau: ${JSON.stringify(second.pipeline.stats.fits)}`);
    const report = JSON.parse(readFileSync(join(dir, 'models', 'g', `${(learned.outcome as { version: string }).version}.report.json`), 'utf8')) as { feedback: { falsePositives: { episodeId: string }[] } };
    assert.deepEqual(report.feedback.falsePositives.map((f) => f.episodeId), [feedback.episodeId], 'the version learned the verdict');
    assert.deepEqual(opensIn(second.events, 2000, 2062).map(stepOf), [], 'with the verdict, the plateau no longer alerts');
    assert.equal(opensIn(without.events, 2000, 2062).length, 1, `without it, the plateau still alerts (fits: ${JSON.stringify(without.pipeline.stats.fits.map((f) => f.outcome.status))})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(control, { recursive: true, force: true });
  }
});
