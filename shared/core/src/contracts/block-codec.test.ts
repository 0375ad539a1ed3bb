import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { windowConfigSchema } from '../config/window-config';
import { Windower } from '../windowing/windower';
import { decodeWindows, encodeWindowBlock } from './block-codec';
import type { Window } from './window';
import { WindowDecodeError, decodeWindow, encodeWindow } from './window-codec';

// Format version 2 (blocks): what ingest's block path sends decodes to exactly the windows that the
// window-object path makes from the same points; version-1 messages still decode; garbage throws
// WindowDecodeError and nothing else.

const group = (window: object) => ({ name: 'g', match: { glob: '*' }, window: windowConfigSchema.parse({ intervalMs: 1000, ...window }) }) as never;
const comparable = (w: Window) => ({ ...w, formatVersion: undefined, channels: [...w.channels], values: [...w.values], mask: [...w.mask] });

test('blocks decode to the windows of the window-object path, batch by batch', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ series: fc.constantFrom('a', 'b', 'c'), gap: fc.integer({ min: 0, max: 6 }), value: fc.float({ min: -100, max: 100, noNaN: true }), late: fc.boolean() }), { minLength: 1, maxLength: 200 }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 40 }),
      (points, w, s, batchSize) => {
        const config = [group({ lengthSteps: w, strideSteps: s, maxGapFillSteps: 2, allowedLatenessMs: 2000 })];
        const objects = new Windower({ groups: config, maxLiveSeries: 10, seriesIdleTimeoutMs: 1e9 });
        const blocks = new Windower({ groups: config, maxLiveSeries: 10, seriesIdleTimeoutMs: 1e9, blocks: true });
        const step = new Map<string, number>();
        const expected: Window[] = [];
        const got: Window[] = [];
        points.forEach((p, i) => {
          const at = (step.get(p.series) ?? 0) + (p.late ? -1 : 1 + p.gap);
          step.set(p.series, Math.max(at, step.get(p.series) ?? 0));
          const point = { series: p.series, timestampMs: at * 1000, channels: ['value'], values: [p.value] };
          const x = objects.offer(point, { source: 0, offset: i }, i);
          const y = blocks.offer(point, { source: 0, offset: i }, i);
          assert.deepEqual(y.outcome, x.outcome);
          assert.equal(y.windows.length, 0, 'the block path returns no window objects');
          expected.push(...x.windows);
          if ((i + 1) % batchSize === 0 || i === points.length - 1) {
            for (const block of blocks.takeBlocks()) got.push(...decodeWindows(encodeWindowBlock(block)));
          }
        });
        const bySeries = (ws: Window[]) => [...ws].sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.endMs - b.endMs)).map(comparable);
        assert.deepEqual(bySeries(got), bySeries(expected));
      },
    ),
    { numRuns: 300 },
  );
});

test('a block of K stride-1 windows costs one value per window, and version 1 still decodes', () => {
  const windower = new Windower({ groups: [group({ lengthSteps: 64 })], maxLiveSeries: 10, seriesIdleTimeoutMs: 1e9, blocks: true });
  const v1: Buffer[] = [];
  const objects = new Windower({ groups: [group({ lengthSteps: 64 })], maxLiveSeries: 10, seriesIdleTimeoutMs: 1e9 });
  for (let i = 0; i < 164; i++) {
    const point = { series: 'cpu', timestampMs: i * 1000, channels: ['value'], values: [i % 7] };
    windower.offer(point, { source: 0, offset: i }, 5);
    v1.push(...objects.offer(point, { source: 0, offset: i }, 5).windows.map(encodeWindow));
  }
  const [block, ...rest] = windower.takeBlocks();
  assert.equal(rest.length, 0, 'one series, one run: one block');
  const bytes = encodeWindowBlock(block!);
  assert.equal(block!.windows, 100);
  assert.equal(bytes.length, 51 + 4 * (64 + 99), 'a 51-byte header with one ingestedAtMs, then W + K - 1 values');
  assert.deepEqual(decodeWindows(bytes).map(comparable), v1.map((b) => comparable(decodeWindow(b))));
  assert.deepEqual(decodeWindows(v1[0]!).map(comparable), [comparable(decodeWindow(v1[0]!))]);
});

test('truncated, altered or trailing block bytes throw WindowDecodeError, never anything else', () => {
  const windower = new Windower({ groups: [group({ lengthSteps: 4, maxGapFillSteps: 3 })], maxLiveSeries: 10, seriesIdleTimeoutMs: 1e9, blocks: true });
  for (const [i, step] of [0, 1, 2, 4, 5, 6, 7].entries()) windower.offer({ series: 'x', timestampMs: step * 1000, channels: ['value'], values: [step] }, { source: 0, offset: i }, i);
  const bytes = encodeWindowBlock(windower.takeBlocks()[0]!);
  assert.ok(decodeWindows(bytes).some((w) => w.mask.includes(0)), 'the fixture carries a mask');
  for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeWindows(bytes.subarray(0, cut)), WindowDecodeError);
  assert.throws(() => decodeWindows(Buffer.concat([bytes, Buffer.of(0)])), WindowDecodeError);
  fc.assert(
    fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const altered = Buffer.from(bytes);
      altered[at]! ^= xor;
      try {
        decodeWindows(altered);
      } catch (error) {
        assert.ok(error instanceof WindowDecodeError, String(error));
      }
    }),
  );
});
