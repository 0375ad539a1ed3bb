import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeWindow, encodeWindow, WindowDecodeError } from './window-codec';
import type { Window } from './window';

const windowArb: fc.Arbitrary<Window> = fc
  .record({
    series: fc.string({ minLength: 1, maxLength: 40 }),
    group: fc.string({ maxLength: 20 }),
    channels: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 4 }),
    steps: fc.integer({ min: 1, max: 70 }),
    startMs: fc.integer({ min: -1e13, max: 1e13 }),
    intervalMs: fc.integer({ min: 1, max: 86_400_000 }),
    ingestedAtMs: fc.integer({ min: 0, max: 1e13 }),
    seed: fc.integer(),
  })
  .chain((r) =>
    fc.record({
      values: fc.float32Array({ minLength: r.steps * r.channels.length, maxLength: r.steps * r.channels.length, noNaN: true }),
      mask: fc.array(fc.constantFrom(0, 1, 1, 1), { minLength: r.steps * r.channels.length, maxLength: r.steps * r.channels.length }),
    }).map(({ values, mask }) => ({
      formatVersion: 1 as const,
      series: r.series,
      group: r.group,
      startMs: r.startMs,
      endMs: r.startMs + (r.steps - 1) * r.intervalMs,
      intervalMs: r.intervalMs,
      channels: r.channels,
      values,
      mask: Uint8Array.from(mask),
      ingestedAtMs: r.ingestedAtMs,
    })),
  );

test('round trip: decode(encode(w)) equals w for arbitrary windows', () => {
  fc.assert(
    fc.property(windowArb, (w) => {
      const back = decodeWindow(encodeWindow(w));
      assert.deepEqual({ ...back, values: [...back.values], mask: [...back.mask] }, { ...w, channels: [...w.channels], values: [...w.values], mask: [...w.mask] });
    }),
    { numRuns: 500 },
  );
});

test('the mask is omitted when every value is observed, and bit-packed otherwise', () => {
  const base: Window = { formatVersion: 1, series: 's', group: 'g', startMs: 0, endMs: 7000, intervalMs: 1000, channels: ['value'], values: new Float32Array(8), mask: new Uint8Array(8).fill(1), ingestedAtMs: 0 };
  const full = encodeWindow(base);
  const holey = encodeWindow({ ...base, mask: Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 1]) });
  assert.equal(holey.length, full.length + 1);
  assert.equal(full[3], 0);
  assert.equal(holey[3], 1);
  assert.equal(holey.at(-1), 0b11111101);
});

test('garbage, truncations and trailing bytes throw WindowDecodeError, never anything else', () => {
  const fails = (bytes: Uint8Array) => assert.throws(() => decodeWindow(bytes), WindowDecodeError);
  fc.assert(
    fc.property(windowArb, fc.nat(), (w, cut) => {
      const bytes = encodeWindow(w);
      fails(bytes.subarray(0, cut % bytes.length));
      fails(Buffer.concat([bytes, Buffer.from([0])]));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        const w = decodeWindow(bytes);
        assert.equal(w.values.length, w.mask.length); // a lucky valid frame is at least consistent
      } catch (error) {
        assert.ok(error instanceof WindowDecodeError, String(error));
      }
    }),
    { numRuns: 3000 },
  );
  assert.throws(() => decodeWindow(Buffer.from('{"series":"x"}')), /bad magic/);
  assert.throws(() => decodeWindow(Uint8Array.from([0x48, 0x47, 9, 0])), /unsupported format version 9/);
});
