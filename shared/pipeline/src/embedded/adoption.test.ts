import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { compileConfig, type AnomalyEvent } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { initBackend } from '@hourglass/model';
import { EmbeddedPipeline } from './pipeline';

const STEP_MS = 60_000;
const SHIFT_AT = 1000;
const SPIKE_AT = 2400;

/**
 * A noisy 20-step cycle around 10 that shifts to 16 for good at step 1000, with a 10-step spike of
 * +12 at step 2400: the shift is the new normal an operator wants learned, the spike an anomaly.
 */
function stream(length: number): { ts: number; value: number }[] {
  let seed = 7;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.4;
  return Array.from({ length }, (_, i) => {
    const level = i >= SHIFT_AT ? 16 : 10;
    const spike = i >= SPIKE_AT && i < SPIKE_AT + 10 ? 12 : 0;
    return { ts: Date.UTC(2026, 0, 1) + i * STEP_MS, value: level + 2 * Math.sin((2 * Math.PI * i) / 20) + noise() + spike };
  });
}

async function run(adoptAfterMs: number, length: number): Promise<AnomalyEvent[]> {
  const config = compileConfig({
    scorer: { batchMaxWindows: 200, warmupWindows: 800 },
    // The trainer fits the newest 600 windows: the new level is most of them soon after the adoption.
    trainer: { minWindows: 300, maxWindows: 600, refitAfterNewWindows: 300, refitIntervalMs: 365 * 86_400_000, retryAfterMissMs: 0 },
    // An absolute model (model.level): a relative one sees a lasting level shift as normal once the step has left its window.
    groups: [{
      name: 'g', match: { glob: '*' }, window: { lengthSteps: 32, intervalMs: STEP_MS },
      episodes: { adoptAfterMs }, model: { epochs: 12, level: 'absolute' },
    }],
  });
  const events: AnomalyEvent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-adoption-'));
  const pipeline = new EmbeddedPipeline({ config, modelsDir: dir, registry: new Registry(), log: createLogger({ level: 'silent' }), onEvent: (e) => events.push(e) });
  try {
    await pipeline.start();
    for (const p of stream(length)) await pipeline.offer({ series: 's', timestampMs: p.ts, channels: ['value'], values: [p.value] });
    await pipeline.finish();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return events;
}

const stepOf = (e: AnomalyEvent): number => (Date.parse(e.windowEnd) - Date.UTC(2026, 0, 1)) / STEP_MS;

test('a lasting shift is adopted after adoptAfterMs and learned by the next refit; a short spike still alarms and is not adopted', async () => {
  await initBackend();
  const adoptAfterMs = 120 * STEP_MS;
  const events = await run(adoptAfterMs, 2600);
  const opens = events.filter((e) => e.state === 'open');
  const adopted = events.filter((e) => e.adopted === true);
  // The shift opens an episode, which is closed as adopted adoptAfterMs later.
  const shiftOpen = opens.find((e) => stepOf(e) >= SHIFT_AT && stepOf(e) < SHIFT_AT + 32);
  assert.ok(shiftOpen, `the shift opens an episode (opens at ${opens.map(stepOf).join(', ')})`);
  assert.equal(adopted.length, 1, `one adoption (closed events: ${events.filter((e) => e.state === 'closed').map((e) => `${stepOf(e)}${e.adopted ? ' adopted' : ''}`).join(', ')})`);
  assert.equal(adopted[0]!.episodeId, shiftOpen.id);
  assert.ok(stepOf(adopted[0]!) >= stepOf(shiftOpen) + 120 && stepOf(adopted[0]!) < stepOf(shiftOpen) + 140);
  // Learned: between the refit after the adoption and the spike, the new level opens nothing...
  const quiet = opens.filter((e) => stepOf(e) > SHIFT_AT + 900 && stepOf(e) < SPIKE_AT);
  assert.deepEqual(quiet.map(stepOf), [], 'the adopted level no longer alarms');
  // ...and the spike is still found, and closes as a recovery, not an adoption.
  const spikeOpen = opens.find((e) => stepOf(e) >= SPIKE_AT && stepOf(e) < SPIKE_AT + 32);
  assert.ok(spikeOpen, `the spike on the new level opens an episode (opens at ${opens.map(stepOf).join(', ')})`);
  const spikeClose = events.find((e) => e.state === 'closed' && e.episodeId === spikeOpen.id);
  assert.ok(spikeClose && spikeClose.adopted === undefined, 'the spike episode closes without adoption');
});

test('without adoptAfterMs the same shift stays one episode that never closes (what the option changes)', async () => {
  await initBackend();
  const events = await run(0, 1600);
  assert.equal(events.filter((e) => e.adopted).length, 0);
  const shiftOpen = events.find((e) => e.state === 'open' && stepOf(e) >= SHIFT_AT && stepOf(e) < SHIFT_AT + 32);
  assert.ok(shiftOpen, 'the shift opens an episode');
  assert.equal(events.some((e) => e.state === 'closed' && e.episodeId === shiftOpen.id), false, 'the shifted level is not learned, so the episode does not close');
});
