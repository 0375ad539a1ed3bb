import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { windowConfigSchema } from '../config/window-config';
import type { Window } from '../contracts/window';
import { SeriesWindow } from './series-window';
import { SlotPools } from './slot-pool';
import { LegacySeriesWindow } from './testing/legacy-series-window';

// The typed-array SeriesWindow against a frozen copy of the per-slot-object one it replaced
// (issue 17): on any stream (out of order, duplicates, short and long gaps, lateness, strides, one or
// two channels, two sources, inferred intervals) both give the same outcome for every point, the
// same windows (values, mask, times) and the same replay offsets after every point.

interface Arrival {
  readonly step: number;
  readonly jitterMs: number;
  readonly values: readonly number[];
  readonly source: number;
}

const arrivals = (channels: number): fc.Arbitrary<Arrival[]> =>
  fc.array(
    fc.record({
      // Mostly forward in small steps, sometimes back (late or duplicate), sometimes a long jump.
      move: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 2, arbitrary: fc.integer({ min: -6, max: -1 }) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 12 }) }),
      jitterMs: fc.integer({ min: -300, max: 300 }),
      values: fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: channels, maxLength: channels }),
      source: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 1, maxLength: 120 },
  ).map((raw) => {
    let step = 50;
    return raw.map((r) => {
      step = Math.max(0, step + r.move);
      return { step, jitterMs: r.jitterMs, values: r.values, source: r.source };
    });
  });

const comparable = (w: Window) => ({ ...w, formatVersion: undefined, channels: [...w.channels], values: [...w.values], mask: [...w.mask] });

test('typed-array series state equals the per-slot-object state on any stream', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 }).chain((channels) => fc.tuple(fc.constant(channels), arrivals(channels))),
      fc.record({
        lengthSteps: fc.integer({ min: 2, max: 8 }),
        strideSteps: fc.integer({ min: 1, max: 10 }),
        allowedLatenessMs: fc.integer({ min: 0, max: 5000 }),
        maxGapFillSteps: fc.integer({ min: 0, max: 4 }),
        duplicates: fc.constantFrom('keep-first', 'keep-last'),
        gapFill: fc.constantFrom('linear', 'carry'),
        inferred: fc.boolean(),
      }),
      ([channels, stream], options) => {
        const { inferred, ...rest } = options;
        const config = windowConfigSchema.parse({ ...rest, ...(inferred ? { intervalInferencePoints: 4 } : { intervalMs: 1000 }) });
        const names = channels === 1 ? ['value'] : ['a', 'b'];
        const pools = new SlotPools();
        const typed = new SeriesWindow('s', 'g', config, names, pools);
        const legacy = new LegacySeriesWindow('s', 'g', config, names);
        stream.forEach((a, i) => {
          const ts = a.step * 1000 + a.jitterMs;
          const ref = { source: a.source, offset: 1000 * a.source + i };
          const x = typed.offer(ts, a.values, ref, i);
          const y = legacy.offer(ts, a.values, ref, i);
          assert.equal(x.outcome, y.outcome, `outcome of point ${i}`);
          assert.equal(x.mergedDuplicates, y.mergedDuplicates);
          assert.deepEqual(x.windows.map(comparable), y.windows.map(comparable), `windows after point ${i}`);
          assert.deepEqual([...typed.neededOffsets()].sort(), [...legacy.neededOffsets()].sort(), `replay offsets after point ${i}`);
        });
      },
    ),
    { numRuns: 400 },
  );
});

test('offsets more than 2^32 apart and a second source keep replay offsets exact; a released slot is reused clean', () => {
  const config = windowConfigSchema.parse({ lengthSteps: 3, intervalMs: 1000 });
  const pools = new SlotPools();
  const typed = new SeriesWindow('s', 'g', config, ['value'], pools);
  const legacy = new LegacySeriesWindow('s', 'g', config, ['value']);
  const refs = [[0, 5], [0, 6], [0, 7], [0, 2 ** 40], [0, 2 ** 40 + 1], [1, 3], [1, 4], [0, 2 ** 40 + 2], [0, 2 ** 40 + 3], [0, 2 ** 40 + 4]] as const;
  refs.forEach(([source, offset], i) => {
    typed.offer(i * 1000, [i], { source, offset }, 0);
    legacy.offer(i * 1000, [i], { source, offset }, 0);
    assert.deepEqual([...typed.neededOffsets()].sort(), [...legacy.neededOffsets()].sort(), `after source ${source} offset ${offset}`);
  });
  typed.release();
  const next = new SeriesWindow('t', 'g', config, ['value'], pools);
  assert.deepEqual([...next.neededOffsets()], [], 'a reused slot holds no open step of its previous series');
  assert.equal(next.offer(0, [1], { source: 0, offset: 0 }, 0).outcome, 'accepted');
  assert.deepEqual([...next.neededOffsets()], [[0, 0]]);
});
