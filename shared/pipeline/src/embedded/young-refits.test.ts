import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { compileConfig } from '@hourglass/core';
import { createLogger } from '@hourglass/runtime';
import { initBackend } from '@hourglass/model';
import { EmbeddedPipeline } from './pipeline';

const STEP_MS = 300_000;

/** Fits of one embedded run over a noisy 5-minute cycle: where each fit came, in windows scored. */
async function fitsAt(points: number, firstFit?: 'minWindows' | 'caller'): Promise<{ atWindow: number; status: string }[]> {
  const config = compileConfig({
    // Batches far larger than the stream: every earlier flush is the young-model rule's.
    scorer: { batchMaxWindows: 10_000, warmupWindows: 2000 },
    trainer: { minWindows: 300, maxWindows: 1500, retryAfterMissMs: 0 },
    groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 16, intervalMs: STEP_MS }, model: { epochs: 4 } }],
  });
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-young-'));
  const pipeline = new EmbeddedPipeline({ config, modelsDir: dir, registry: new Registry(), log: createLogger({ level: 'silent' }), onEvent: () => undefined, ...(firstFit ? { firstFit } : {}) });
  let seed = 11;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.2;
  try {
    await pipeline.start();
    for (let i = 0; i < points; i++) {
      const ts = Date.UTC(2026, 0, 1) + i * STEP_MS;
      await pipeline.offer({ series: 's', timestampMs: ts, channels: ['value'], values: [5 + Math.sin((2 * Math.PI * i) / 48) + noise()] });
    }
    await pipeline.finish();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return pipeline.stats.fits.map((f) => ({ atWindow: f.atWindow, status: f.outcome.status }));
}

test('embedded mode fits a cold group at minWindows and refits a young model as its data doubles, until maxWindows', async () => {
  await initBackend({ requireNative: false });
  const fits = await fitsAt(3000);
  assert.ok(fits.every((f) => f.status === 'promoted'), JSON.stringify(fits));
  // 300 windows, then 300 more (fitted on 600), 600 more (1,200), then on 1,500 = maxWindows, grown: the last batch closes at the stream's end (3,000 points, 2,984 windows of 16).
  assert.deepEqual(fits.map((f) => f.atWindow), [300, 600, 1200, 2400, 2984]);
});

test('with the first fit left to the caller, nothing flushes before the batch size or the end', async () => {
  await initBackend({ requireNative: false });
  const fits = await fitsAt(1000, 'caller');
  assert.deepEqual(fits.map((f) => f.atWindow), [984]);
});
