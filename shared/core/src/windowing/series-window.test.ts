import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { INTERVAL, comparable, observations, run, windowConfig, withinLateness, type Obs } from './test-helpers';

const RUNS = { numRuns: 300 };

test('out-of-order arrival within the allowed lateness gives exactly the in-order windows', () => {
  fc.assert(
    fc.property(
      observations(2),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 2, max: 6 }),
      fc.integer({ min: 1, max: 3 }),
      (obs, lateness, w, s) => {
        const config = windowConfig({ allowedLatenessMs: lateness * INTERVAL, lengthSteps: w, strideSteps: s });
        const inOrder = run(config, obs);
        fc.assert(
          fc.property(withinLateness(obs, lateness), (shuffled) => {
            const outOfOrder = run(config, shuffled);
            assert.ok(outOfOrder.outcomes.every((o) => o === 'accepted'), 'a point within the lateness was refused');
            assert.deepEqual(outOfOrder.windows.map(comparable), inOrder.windows.map(comparable));
          }),
          { numRuns: 5 },
        );
      },
    ),
    { numRuns: 100 },
  );
});

test('keep-first: repeating any point, with any value, anywhere later changes no window', () => {
  fc.assert(
    fc.property(observations(2, 2), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer()), { maxLength: 20 }), fc.integer({ min: 0, max: 3 }), (obs, dups, lateness) => {
      const config = windowConfig({ allowedLatenessMs: lateness * INTERVAL, duplicates: 'keep-first' });
      const order: Obs[] = [...obs];
      const isDup: boolean[] = obs.map(() => false);
      for (const [which, where, value] of dups) {
        const original = obs[which % obs.length]!;
        const after = order.indexOf(original) + 1;
        const at = after + (where % (order.length - after + 1));
        order.splice(at, 0, { step: original.step, value });
        isDup.splice(at, 0, true);
      }
      const clean = run(config, obs);
      const dirty = run(config, order);
      assert.deepEqual(dirty.windows.map(comparable), clean.windows.map(comparable));
      dirty.outcomes.forEach((o, i) => assert.equal(o === 'accepted', !isDup[i], `point ${i}: ${o}`));
    }),
    RUNS,
  );
});

test('keep-last: a repeat inside the lateness replaces the value; one after it is too late', () => {
  const config = windowConfig({ allowedLatenessMs: INTERVAL, duplicates: 'keep-last', lengthSteps: 2 });
  const { windows, outcomes } = run(config, [
    { step: 1, value: 1 },
    { step: 2, value: 2 },
    { step: 2, value: 20 }, // step 2 still open (lateness 1): replaces
    { step: 3, value: 3 },
    { step: 1, value: 10 }, // step 1 closed once step 3 arrived
    { step: 4, value: 4 },
  ]);
  assert.deepEqual(outcomes, ['accepted', 'accepted', 'duplicate', 'accepted', 'too_late', 'accepted']);
  assert.deepEqual(windows.map((w) => [...w.values]), [[1, 20]]);
});

test('gaps: short ones are filled per policy with mask 0, long ones restart, and no window is missing', () => {
  fc.assert(
    fc.property(observations(5), fc.integer({ min: 0, max: 3 }), fc.constantFrom('linear', 'carry') as fc.Arbitrary<'linear' | 'carry'>, fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 3 }), (obs, maxFill, fill, w, s) => {
      const config = windowConfig({ maxGapFillSteps: maxFill, gapFill: fill, lengthSteps: w, strideSteps: s });
      const { windows } = run(config, obs);
      const byStep = new Map(obs.map((o) => [o.step, o.value]));
      for (const win of windows) {
        const start = win.startMs / INTERVAL;
        for (let t = 0; t < w; t++) {
          const step = start + t;
          const observed = byStep.get(step);
          assert.equal(win.mask[t], observed === undefined ? 0 : 1, `mask at step ${step}`);
          if (observed !== undefined) {
            assert.equal(win.values[t], observed);
            continue;
          }
          const prev = obs.filter((o) => o.step < step).at(-1)!;
          const next = obs.find((o) => o.step > step)!;
          assert.ok(next.step - prev.step - 1 <= maxFill, 'a window spans a gap longer than maxGapFillSteps');
          const expected = fill === 'carry' ? prev.value : prev.value + ((next.value - prev.value) * (step - prev.step)) / (next.step - prev.step);
          assert.equal(win.values[t], Math.fround(expected));
        }
      }
      // Oracle: segments split at long gaps; every stride-aligned step with W steps of segment behind it.
      const expectedEnds: number[] = [];
      let segmentStart = obs[0]!.step;
      // Steps resolve up to the newest closed observation (a gap waits for the point that closes it).
      const lastResolved = obs.length > 1 ? obs.at(-2)!.step : Number.NEGATIVE_INFINITY;
      obs.forEach((o, i) => {
        if (i > 0 && o.step - obs[i - 1]!.step - 1 > maxFill) segmentStart = o.step;
        const from = i === 0 ? o.step : Math.max(obs[i - 1]!.step + 1, segmentStart);
        for (let e = from; e <= Math.min(o.step, lastResolved); e++) if (e - segmentStart + 1 >= w && e % s === 0) expectedEnds.push(e);
      });
      assert.deepEqual(windows.map((x) => x.endMs / INTERVAL), expectedEnds);
    }),
    RUNS,
  );
});

test('no window ever holds a point from beyond its end, and each window is W consecutive steps', () => {
  fc.assert(
    fc.property(observations(3, 1, 60), fc.integer({ min: 0, max: 4 }), (obs, lateness) => {
      const config = windowConfig({ allowedLatenessMs: lateness * INTERVAL, lengthSteps: 5, maxGapFillSteps: 3, gapFill: 'carry' });
      fc.assert(
        fc.property(withinLateness(obs, lateness), (order) => {
          const { windows } = run(config, order);
          for (const win of windows) {
            assert.equal(win.endMs - win.startMs, (5 - 1) * INTERVAL);
            win.values.forEach((v, t) => {
              const cellMs = win.startMs + t * INTERVAL;
              // observed cells hold the point of exactly their step; carried cells the latest point before it
              const source = win.mask[t] === 1 ? obs.find((o) => o.step * INTERVAL === cellMs) : obs.filter((o) => o.step * INTERVAL < cellMs).at(-1);
              assert.ok(source && source.step * INTERVAL <= win.endMs, `cell ${t} has no source at or before the end`);
              assert.equal(v, source.value);
            });
          }
        }),
        { numRuns: 5 },
      );
    }),
    { numRuns: 100 },
  );
});

test('the interval is inferred from the first points and the warm-up replays in time order', () => {
  const config = windowConfig({ intervalMs: undefined, intervalInferencePoints: 4, lengthSteps: 3 });
  // 5 s spacing, the second and third arriving swapped, the first repeated.
  const ts = [10_000, 20_000, 15_000, 10_000, 25_000, 30_000];
  const { windows, outcomes } = run(config, ts.map((t, i) => ({ step: t / INTERVAL, value: i })));
  assert.deepEqual(outcomes, ['accepted', 'accepted', 'accepted', 'duplicate', 'accepted', 'accepted']);
  assert.deepEqual(windows.map((w) => [w.intervalMs, w.endMs, [...w.values]]), [
    [5000, 20_000, [0, 2, 1]],
    [5000, 25_000, [2, 1, 4]],
  ]);
});
