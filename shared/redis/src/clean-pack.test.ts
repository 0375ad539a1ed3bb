import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWindow, encodeWindow, type Window } from '@hourglass/core';
import { decodeCleanPack, encodeCleanPack, encodeWindowPack } from './clean-pack';

const WINDOWS: Window[] = [
  { formatVersion: 1, series: 's1', group: 'g', startMs: 1704067200000, endMs: 1704067203000, intervalMs: 1000, channels: ['value'], values: Float32Array.of(1.5, -2, 0.25, 3), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 1704067204000.5 },
  { formatVersion: 1, series: 'héllo/ü', group: 'grp', startMs: 0, endMs: 2000, intervalMs: 500, channels: ['a', 'bé'], values: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), mask: Uint8Array.of(1, 0, 1, 1, 0, 0, 1, 1, 1, 0), ingestedAtMs: 0 },
];
/** These windows' bytes as encodeWindow wrote them before it wrote into unzeroed buffers (commit 634b16f). */
const GOLDEN = [
  '48470100020073310167040001000576616c75650000401f25cc78420000000000408f4000083a2025cc78420000c03f000000c00000803e00004040',
  '48470101090068c3a96c6c6f2fc3bc036772700500020001610362c3a900000000000000000000000000407f4000000000000000000000803f0000004000004040000080400000a0400000c0400000e040000000410000104100002041cd01',
];

/** Fills Node's shared allocation pool with 0xff, so a byte an encoder forgets to write shows. */
function dirtyPool(): void {
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(512).fill(0xff);
}

test('encodeWindow writes the same bytes as before, into unzeroed memory', () => {
  dirtyPool();
  assert.deepEqual(WINDOWS.map((w) => encodeWindow(w).toString('hex')), GOLDEN);
});

test('encodeWindowPack equals encodeCleanPack of the encoded windows, views into shared arrays included', () => {
  // Windows as a format-2 block decodes them: views into one values and one mask array.
  const values = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 10);
  const mask = Uint8Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 0 : 1));
  // Runs of one series sharing one channels array (as a block's windows do), masked and not by turns.
  const channels = ['value'];
  const views: Window[] = Array.from({ length: 8 }, (_, k) => ({
    formatVersion: 2, series: `series-${k >> 2}`, group: 'bench', startMs: k * 1000, endMs: k * 1000 + 31_000, intervalMs: 1000, channels,
    values: values.subarray(k, k + 32), mask: k % 2 === 0 ? mask.subarray(k, k + 32) : new Uint8Array(32).fill(1), ingestedAtMs: 5 + k,
  }));
  for (const windows of [WINDOWS, views, [...views, ...WINDOWS], [...views].reverse(), []]) {
    dirtyPool();
    const pack = encodeWindowPack(windows);
    assert.deepEqual(pack, encodeCleanPack(windows.map(encodeWindow)));
    assert.deepEqual(decodeCleanPack(pack).map((b) => decodeWindow(b).endMs), windows.map((w) => w.endMs));
  }
});
