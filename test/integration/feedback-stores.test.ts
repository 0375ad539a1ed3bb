import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Feedback, Window } from '@hourglass/core';
import { RedisFeedbackStore, RedisHeldBackStore, createRedis, redisKeys } from '@hourglass/redis';
import { deleteKeys, integrationInfrastructure, uniqueName } from '../support/fixtures';

async function redisFor(t: TestContext) {
  const infra = await integrationInfrastructure(t);
  if (!infra) return undefined;
  const redis = createRedis(infra.redisUrl);
  const prefix = `${uniqueName('fbstore')}:`;
  t.after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  return { redis, keys: redisKeys(prefix) };
}

const windowOf = (series: string, endS: number): Window => ({
  formatVersion: 1, series, group: 'g', startMs: (endS - 3) * 1000, endMs: endS * 1000, intervalMs: 1000, channels: ['value'],
  values: Float32Array.of(1, 2, 3, endS), mask: Uint8Array.of(1, 1, 1, 1), ingestedAtMs: 0,
});

test('held-back windows on real Redis: one entry per append with the episode tags, capped in windows (the oldest entries go)', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const store = new RedisHeldBackStore(ctx.redis, ctx.keys, 5);
  await store.append('g', [{ window: windowOf('a', 1), episodeId: null }, { window: windowOf('a', 2), episodeId: 'E1' }]);
  await store.append('g', [{ window: windowOf('a', 3), episodeId: 'E1' }, { window: windowOf('b', 3), episodeId: 'E2' }]);
  assert.deepEqual((await store.read('g')).map((h) => [h.window.series, h.window.endMs / 1000, h.episodeId]), [['a', 1, null], ['a', 2, 'E1'], ['a', 3, 'E1'], ['b', 3, 'E2']]);
  assert.deepEqual(Array.from((await store.read('g'))[3]!.window.values), [1, 2, 3, 3], 'windows come back whole');
  // As the clean buffer, it holds between the cap and the cap plus one entry: six windows stay (without
  // the oldest entry four would be left, under the cap), eight do not (the oldest entry goes, six stay).
  await store.append('g', [{ window: windowOf('a', 4), episodeId: 'E1' }, { window: windowOf('a', 5), episodeId: 'E1' }]);
  assert.equal((await store.read('g')).length, 6);
  await store.append('g', [{ window: windowOf('a', 6), episodeId: 'E1' }, { window: windowOf('a', 7), episodeId: 'E1' }]);
  assert.deepEqual((await store.read('g')).map((h) => h.window.endMs / 1000), [3, 3, 4, 5, 6, 7]);
  assert.deepEqual(await store.read('other'), []);
});

test('feedback store on real Redis: a verdict with its windows; a later one replaces it and keeps the windows when it has none; remove', async (t) => {
  const ctx = await redisFor(t);
  if (!ctx) return;
  const store = new RedisFeedbackStore(ctx.redis, ctx.keys);
  const verdict = (episodeId: string, v: Feedback['verdict'], at: string, windows: number): Feedback => ({
    v: 1, episodeId, eventId: episodeId, group: 'g', series: 'a', verdict: v, note: null, by: 'oncall', at, source: 'cli', windows,
  });
  await store.put(verdict('E1', 'false-positive', '2026-12-01T10:00:00.000Z', 2), [windowOf('a', 1), windowOf('a', 2)]);
  await store.put(verdict('E2', 'confirmed', '2026-12-01T09:00:00.000Z', 0), []);
  assert.deepEqual((await store.list('g')).map((f) => [f.episodeId, f.verdict]), [['E2', 'confirmed'], ['E1', 'false-positive']], 'oldest first');
  assert.deepEqual((await store.windows('g', 'E1')).map((w) => w.endMs / 1000), [1, 2]);
  await store.put(verdict('E1', 'confirmed', '2026-12-01T11:00:00.000Z', 0), []);
  assert.equal((await store.get('g', 'E1'))?.verdict, 'confirmed');
  assert.equal((await store.windows('g', 'E1')).length, 2, 'the windows found earlier stay');
  await ctx.redis.hset(ctx.keys.feedback('g'), 'junk', 'not json');
  assert.equal((await store.list('g')).length, 2, 'a value that does not parse is skipped');
  assert.equal(await store.remove('g', 'E1'), true);
  assert.equal(await store.remove('g', 'E1'), false);
  assert.deepEqual(await store.windows('g', 'E1'), []);
});
