import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Window } from '@hourglass/core';
import { describeLeftOut, selectChannelSet } from './channel-sets';

const win = (series: string, channels: string[], endMs: number): Window => ({
  formatVersion: 1, series, group: 'g', startMs: endMs - 1000, endMs, intervalMs: 1000, channels,
  values: new Float32Array(2 * channels.length), mask: new Uint8Array(2 * channels.length).fill(1), ingestedAtMs: 0,
});

test('one channel set: every window is kept, in order, nothing left out', () => {
  const windows = [win('a', ['value'], 2), win('b', ['value'], 1)];
  const s = selectChannelSet(windows);
  assert.deepEqual(s.kept, windows);
  assert.deepEqual(s.channels, ['value']);
  assert.deepEqual(s.leftOut, []);
});

test('without a model the set with the most windows wins, keeping its order; the others are listed with their series', () => {
  const windows = [win('h', ['cpu', 'mem'], 1), win('a', ['value'], 2), win('b', ['value'], 3), win('h', ['cpu', 'mem'], 4), win('c', ['value'], 5)];
  const s = selectChannelSet(windows);
  assert.deepEqual(s.kept.map((w) => w.endMs), [2, 3, 5]);
  assert.deepEqual(s.leftOut, [{ channels: ['cpu', 'mem'], windows: 2, series: ['h'] }]);
  assert.equal(describeLeftOut(s.leftOut), '2 of h with [cpu, mem]');
});

test('a tie goes to the set whose names sort first, so every trainer replica picks the same one', () => {
  const s = selectChannelSet([win('z', ['z'], 1), win('a', ['a'], 2)]);
  assert.deepEqual(s.channels, ['a']);
});

test('the current model\'s set is kept even when outnumbered, and may keep nothing', () => {
  const windows = [win('h', ['cpu'], 1), win('h', ['cpu'], 2), win('a', ['value'], 3)];
  assert.deepEqual(selectChannelSet(windows, ['value']).kept.map((w) => w.endMs), [3]);
  const none = selectChannelSet(windows, ['other']);
  assert.deepEqual(none.kept, []);
  assert.deepEqual(none.channels, ['other']);
  assert.equal(none.leftOut.length, 2);
});
