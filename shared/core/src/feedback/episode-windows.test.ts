import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Window } from '../contracts/window';
import { episodeWindows, reportedPrecision, stillFlagged, type HeldBackWindow } from './episode-windows';

function w(series: string, endS: number): Window {
  return {
    formatVersion: 1, series, group: 'g', startMs: (endS - 15) * 1000, endMs: endS * 1000, intervalMs: 1000,
    channels: ['value'], values: new Float32Array(16), mask: new Uint8Array(16).fill(1), ingestedAtMs: 0,
  };
}

test('episodeWindows: the tagged windows, the onset within one span before the open, one per end, time ordered, capped', () => {
  const held: HeldBackWindow[] = [
    { window: w('a', 80), episodeId: null }, // more than a span before the open: another run
    { window: w('a', 99), episodeId: null }, // onset
    { window: w('b', 99), episodeId: null }, // another series
    { window: w('a', 101), episodeId: 'E' },
    { window: w('a', 100), episodeId: 'E' },
    { window: w('a', 101), episodeId: 'E' }, // a replay held it back twice
    { window: w('a', 102), episodeId: 'F' },
  ];
  assert.deepEqual(episodeWindows(held, 'E', 10).map((x) => x.endMs / 1000), [99, 100, 101]);
  assert.deepEqual(episodeWindows(held, 'E', 2).map((x) => x.endMs / 1000), [99, 100]);
  assert.deepEqual(episodeWindows(held, 'X', 10), []);
});

test('stillFlagged: a run of K anomalous windows, or all of fewer', () => {
  assert.equal(stillFlagged([false, true, false, true], 2), false);
  assert.equal(stillFlagged([false, true, true, false], 2), true);
  assert.equal(stillFlagged([true], 2), true);
  assert.equal(stillFlagged([false], 1), false);
  assert.equal(stillFlagged([], 1), false);
});

test('reportedPrecision: confirmed over judged, null before any verdict', () => {
  assert.equal(reportedPrecision({ confirmed: 3, falsePositive: 1 }), 0.75);
  assert.equal(reportedPrecision({ confirmed: 0, falsePositive: 0 }), null);
});
