import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Window } from '@hourglass/core';
import { InMemoryFeedbackStore, InMemoryHeldBack } from './in-memory';
import { handleFeedbackMessage } from './feedback-message';
import { FeedbackRecorder } from './recorder';

const windowOf = (endS: number): Window => ({
  formatVersion: 1, series: 'a', group: 'g', startMs: (endS - 3) * 1000, endMs: endS * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 2, 3, 4), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

async function recorderWith(store: InMemoryFeedbackStore): Promise<FeedbackRecorder> {
  const heldBack = new InMemoryHeldBack();
  await heldBack.append('g', [{ window: windowOf(5), episodeId: 'E' }]);
  return new FeedbackRecorder({ groups: ['g'], store, heldBack, codes: null, maxWindowsPerEpisode: 10, now: () => 0 });
}

test('a feedback message is recorded, refused with a dead-letter reason, or thrown (so the consumer retries it and commits nothing)', async () => {
  const store = new InMemoryFeedbackStore();
  const recorder = await recorderWith(store);
  const ok = await handleFeedbackMessage('{"event":"E","verdict":"confirmed","at":"2026-12-01T10:00:00Z"}', recorder);
  assert.equal(ok.outcome, 'recorded');
  assert.deepEqual((await store.list('g')).map((f) => [f.episodeId, f.verdict, f.by, f.source, f.at, f.windows]), [['E', 'confirmed', 'unknown', 'topic', '2026-12-01T10:00:00.000Z', 1]]);
  // A replay records the same verdict again: one stored, unchanged.
  await handleFeedbackMessage('{"event":"E","verdict":"confirmed","at":"2026-12-01T10:00:00Z"}', recorder);
  assert.equal((await store.list('g')).length, 1);

  const invalid = await handleFeedbackMessage('{"event":"E","verdict":"perhaps","colour":"red"}', recorder);
  assert.ok(invalid.outcome === 'invalid_feedback', invalid.outcome);
  assert.match(invalid.detail, /verdict: .*; \(message\): Unrecognized key/);
  assert.equal((await handleFeedbackMessage('{"event":"nobody","verdict":"confirmed"}', recorder)).outcome, 'unknown_episode');

  const failing = new InMemoryFeedbackStore();
  failing.put = async () => Promise.reject(new Error('redis down'));
  await assert.rejects(handleFeedbackMessage('{"event":"E","verdict":"false-positive"}', await recorderWith(failing)), /redis down/);
});
